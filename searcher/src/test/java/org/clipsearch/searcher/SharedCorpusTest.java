package org.clipsearch.searcher;

import java.io.IOException;
import org.clipsearch.encoders.ClipModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The tests that search the shared 200-image corpus: it is written and indexed once per run ({@link Corpus#shared}),
 * and each test class opens its own searcher on it, so that one class's closed searcher never serves another.
 * Test classes run one after another (no parallel execution is configured), so the static fields are never shared
 * by two classes at once.
 */
abstract class SharedCorpusTest {
  static Corpus corpus;
  static ClipModel model;
  static ImageSearcher searcher;

  @BeforeAll
  static void openSharedCorpus() throws IOException {
    corpus = Corpus.shared();
    model = TestFiles.model();
    searcher = ImageSearcher.open(corpus.index, model);
  }

  @AfterAll
  static void closeSearcher() throws IOException {
    searcher.close();
  }
}
