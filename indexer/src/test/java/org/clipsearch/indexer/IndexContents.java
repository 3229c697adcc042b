package org.clipsearch.indexer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.lucene.document.Document;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.MatchAllDocsQuery;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.clipsearch.api.ImageFields;
import org.clipsearch.api.ImageRecord;
import org.clipsearch.encoders.ClipModel;
import org.clipsearch.indexer.lucene.IndexSchema;
import org.clipsearch.indexer.lucene.LuceneImageStore;

/**
 * What a committed index on disk holds, read with a plain Lucene reader (no writer, no clipsearch code beyond the
 * schema's field names): every live document as the record it was written from.
 */
record IndexContents(Map<String, ImageRecord> byPath, Map<String, Integer> docsPerPath) {
  /** The fixture model the indexer tests embed with: 16-d, 64 px input. */
  static final Path TINY_TORCHSCRIPT = TestImages.FIXTURES.resolve("models/tiny-torchscript");

  /** A second 16-d fixture model with other weights (another fingerprint). */
  static final Path TINY_ONNX = TestImages.FIXTURES.resolve("models/tiny-onnx-meanpool");

  private static ClipModel model;

  /** The tiny TorchScript model, loaded once for all test classes of the JVM (and never closed: it is shared). */
  static synchronized ClipModel model() {
    if (model == null) {
      model = ClipModel.load(TINY_TORCHSCRIPT);
    }
    return model;
  }

  static IndexContents read(Path index) throws IOException {
    Map<String, ImageRecord> byPath = new LinkedHashMap<>();
    Map<String, Integer> docsPerPath = new LinkedHashMap<>();
    try (Directory directory = FSDirectory.open(index);
        DirectoryReader reader = DirectoryReader.open(directory)) {
      IndexSearcher searcher = new IndexSearcher(reader);
      for (ScoreDoc hit : searcher.search(MatchAllDocsQuery.INSTANCE, Math.max(1, reader.numDocs())).scoreDocs) {
        Document doc = searcher.storedFields().document(hit.doc);
        ImageRecord record = IndexSchema.fromDocument(doc, LuceneImageStore.vector(reader, hit.doc));
        byPath.put(record.path(), record);
        docsPerPath.merge(record.path(), 1, Integer::sum);
      }
      // The path is the unique key: a term query must find exactly the documents counted above.
      for (String path : docsPerPath.keySet()) {
        int count = searcher.count(new TermQuery(new Term(ImageFields.PATH, path)));
        if (count != docsPerPath.get(path)) {
          throw new AssertionError("path term " + path + " matches " + count + " documents");
        }
      }
    }
    return new IndexContents(byPath, docsPerPath);
  }

  int size() {
    return byPath.size();
  }

  int totalDocs() {
    return docsPerPath.values().stream().mapToInt(Integer::intValue).sum();
  }

  /** The record of {@code file}, which must be indexed exactly once. */
  ImageRecord get(Path file) {
    String key = file.toAbsolutePath().normalize().toString();
    Integer docs = docsPerPath.get(key);
    if (docs == null) {
      throw new AssertionError("not indexed: " + key + "; indexed: " + byPath.keySet());
    }
    if (docs != 1) {
      throw new AssertionError(key + " is in " + docs + " documents");
    }
    return byPath.get(key);
  }

  boolean contains(Path file) {
    return byPath.containsKey(file.toAbsolutePath().normalize().toString());
  }
}
