package org.clipsearch.encoders;

/** Token ids and attention masks of a batch of texts, padded to one length. */
record TokenBatch(long[][] ids, long[][] mask) {
  int count() {
    return ids.length;
  }

  int length() {
    return ids.length == 0 ? 0 : ids[0].length;
  }
}
