package org.clipsearch.searcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.apache.lucene.util.BytesRef;
import org.junit.jupiter.api.Test;

/** Ties are broken in the order Lucene keeps path terms and Solr sorts them: by their UTF-8 bytes. */
class PathOrderTest {
  @Test
  void pathOrderIsTheOrderOfUtf8Bytes() {
    // Characters from every range whose UTF-16 and UTF-8 orders could part: ASCII, Latin-1, U+E000 to U+FFFF (above
    // the surrogates in UTF-16), and beyond U+FFFF (surrogate pairs).
    String[] pieces = {"a", "B", "/", "é", "\uFB01", "\uFFFD", "\uE000", "😀", "𝄞", "中"};
    Random random = new Random(7);
    List<String> paths = new ArrayList<>();
    for (int i = 0; i < 400; i++) {
      StringBuilder path = new StringBuilder("/photos/");
      for (int j = random.nextInt(4); j >= 0; j--) {
        path.append(pieces[random.nextInt(pieces.length)]);
      }
      paths.add(path.toString());
    }
    List<String> byBytes = new ArrayList<>(paths);
    byBytes.sort(Comparator.comparing(BytesRef::new));
    List<String> byPathOrder = new ArrayList<>(paths);
    byPathOrder.sort(SearchMath.PATH_ORDER);
    assertEquals(byBytes, byPathOrder);
    List<String> byString = new ArrayList<>(paths);
    byString.sort(Comparator.naturalOrder());
    assertNotEquals(byBytes, byString, "the sample holds a pair that String.compareTo orders otherwise");
  }
}
