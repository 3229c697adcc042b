package org.clipsearch.indexer;

import static org.clipsearch.indexer.IncrementalIndexingTest.assertVector;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.apache.lucene.codecs.perfield.PerFieldKnnVectorsFormat;
import org.apache.lucene.index.CheckIndex;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.clipsearch.api.ImageFields;
import org.clipsearch.api.ImageRecord;
import org.clipsearch.api.IndexStats;
import org.clipsearch.api.ModelMismatchException;
import org.clipsearch.encoders.ClipModel;
import org.clipsearch.encoders.Images;
import org.clipsearch.indexer.lucene.HnswSettings;
import org.clipsearch.indexer.lucene.LuceneImageStore;
import org.clipsearch.indexer.lucene.VectorFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The index as a whole: the model it records, a second writer, folders that hold something this version cannot
 * read, and the vector formats chosen through the codec.
 */
class IndexStateTest {
  @TempDir Path dir;

  private Path threeImages() throws IOException {
    Path in = Files.createDirectories(dir.resolve("in"));
    TestImages.jpeg(in.resolve("a.jpg"), 48, 40, 1);
    TestImages.png(in.resolve("b.png"), 40, 48, 2);
    TestImages.jpeg(in.resolve("c.jpg"), 56, 40, 3);
    return in;
  }

  @Test
  void anotherModelIsRefusedUnlessReindexingWhichReEmbedsEverything() throws Exception {
    Path in = threeImages();
    Path index = dir.resolve("index");
    assertEquals(3, IncrementalIndexingTest.index(IncrementalIndexingTest.builder(index), in).embedded());
    IndexContents before = IndexContents.read(index);

    try (ClipModel onnx = ClipModel.load(IndexContents.TINY_ONNX)) {
      assertEquals(IndexContents.model().dimension(), onnx.dimension(), "same dimension: only the hash tells");
      ModelMismatchException refused = assertThrows(ModelMismatchException.class,
          () -> ImageIndexer.builder().index(index).model(onnx).build().close());
      assertTrue(refused.getMessage().contains("--reindex"), refused.getMessage());
      assertTrue(refused.getMessage().contains(onnx.name()), refused.getMessage());
      assertTrue(refused.getMessage().contains(IndexContents.model().name()), refused.getMessage());

      // Refusing changed nothing and released the index.
      IndexStats unchanged = LuceneImageStore.readStats(index);
      assertEquals(ImageIndexer.identityOf(IndexContents.model()), unchanged.model());
      assertEquals(3, unchanged.images());

      IndexReport reindexed;
      try (ImageIndexer indexer = ImageIndexer.builder().index(index).model(onnx).reindex(true).threads(2).build()) {
        reindexed = indexer.index(List.of(in));
      }
      assertEquals(List.of(), reindexed.failures());
      assertEquals(3, reindexed.found());
      assertEquals(3, reindexed.embedded(), "everything re-embedded with the new model");
      assertEquals(0, reindexed.unchanged());
      assertEquals(0, reindexed.reused(), "no vector of the old model is reused");

      IndexStats after = LuceneImageStore.readStats(index);
      assertEquals(ImageIndexer.identityOf(onnx), after.model());
      IndexContents contents = IndexContents.read(index);
      assertEquals(3, contents.totalDocs());
      for (ImageRecord record : contents.byPath().values()) {
        Path file = Path.of(record.path());
        assertVector(onnx.encodeImage(Images.read(file)), record.vector(), record.path());
        assertFalse(Arrays.equals(before.get(file).vector(), record.vector()));
      }

      // And now the first model is the stranger.
      ModelMismatchException back = assertThrows(ModelMismatchException.class,
          () -> IncrementalIndexingTest.builder(index).build().close());
      assertTrue(back.getMessage().contains("--reindex"), back.getMessage());
      // The new model indexes incrementally like any other.
      try (ImageIndexer indexer = ImageIndexer.builder().index(index).model(onnx).build()) {
        IndexReport again = indexer.index(List.of(in));
        assertEquals(3, again.unchanged());
        assertEquals(0, again.embedded());
      }
    }
  }

  @Test
  void anIndexLockedByAnotherWriterIsReportedAsLocked() throws Exception {
    Path in = threeImages();
    Path index = dir.resolve("index");
    try (LuceneImageStore holder = LuceneImageStore.open(index, HnswSettings.DEFAULT)) {
      IOException locked = assertThrows(IOException.class, () -> IncrementalIndexingTest.builder(index).build());
      assertTrue(locked.getMessage().contains("locked"), locked.getMessage());
      assertTrue(locked.getMessage().contains(index.toString()), locked.getMessage());
      // stats reads without the lock.
      assertThrows(java.nio.file.NoSuchFileException.class, () -> LuceneImageStore.readStats(index),
          "nothing committed yet");
      holder.commit();
      assertEquals(0, LuceneImageStore.readStats(index).images());
    }
    // Once the other writer is gone the index is ours; and while we write, the next one is locked out.
    try (ImageIndexer indexer = IncrementalIndexingTest.builder(index).build()) {
      IOException locked = assertThrows(IOException.class, () -> IncrementalIndexingTest.builder(index).build());
      assertTrue(locked.getMessage().contains("locked"), locked.getMessage());
      assertEquals(3, indexer.index(List.of(in)).added());
    }
    assertEquals(3, LuceneImageStore.readStats(index).images());
  }

  @Test
  void garbageWhereTheIndexShouldBeIsReportedClearly() throws Exception {
    IOException text = assertUnreadable(segmentsFile("text", bytes("this is not a Lucene index\n")));
    assertTrue(text.getMessage().contains("not a Lucene index"), "not called too old: " + text.getMessage());
    assertUnreadable(segmentsFile("short", new byte[] {1, 2}));
    assertUnreadable(segmentsFile("empty", new byte[0]));
  }

  @Test
  void anIndexOfANewerFormatIsReportedAsNewer() throws Exception {
    // A segments file with Lucene's codec header but a version far beyond this Lucene's.
    ByteArrayOutputStream header = new ByteArrayOutputStream();
    writeBeInt(header, 0x3fd76c17); // CodecUtil.CODEC_MAGIC
    header.write(8); // VInt length of the codec name
    header.writeBytes(bytes("segments"));
    writeBeInt(header, 99); // format version
    header.writeBytes(new byte[16]); // segment id
    header.write(1); // suffix length
    header.writeBytes(bytes("1"));
    header.writeBytes(new byte[32]);
    Path file = segmentsFile("newer", header.toByteArray());
    IOException e = assertUnreadable(file);
    assertTrue(e.getMessage().contains("newer"), e.getMessage());
  }

  /** A folder holding only a {@code segments_1} file with these bytes, where an index would be. */
  private Path segmentsFile(String folder, byte[] content) throws IOException {
    return Files.write(Files.createDirectories(dir.resolve(folder)).resolve("segments_1"), content);
  }

  private static IOException assertUnreadable(Path segmentsFile) throws IOException {
    Path index = segmentsFile.getParent();
    IOException open = assertThrows(IOException.class, () -> IncrementalIndexingTest.builder(index).build().close(),
        "opening " + index);
    System.out.println("refused " + index + ": " + open.getMessage());
    assertClear(open, index);
    IOException stats = assertThrows(IOException.class, () -> LuceneImageStore.readStats(index));
    assertClear(stats, index);
    // The folder is left as it was: nothing was overwritten or deleted.
    assertTrue(Files.exists(segmentsFile));
    return open;
  }

  private static void assertClear(IOException e, Path index) {
    String message = String.valueOf(e.getMessage());
    assertTrue(message.contains(index.toString()), "names the folder: " + message);
    assertTrue(message.contains("index"), message);
    assertFalse(e.getClass().getName().startsWith("org.apache.lucene"),
        "a clipsearch message, not Lucene's exception: " + e);
    assertInstanceOf(IOException.class, e);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static void writeBeInt(ByteArrayOutputStream out, int v) {
    out.write(v >>> 24);
    out.write(v >>> 16);
    out.write(v >>> 8);
    out.write(v);
  }

  @Test
  void quantizedVectorFormatsAreChosenPerFieldAndSearchable() throws Exception {
    Path in = Files.createDirectories(dir.resolve("in"));
    for (int i = 0; i < 8; i++) {
      TestImages.png(in.resolve("p" + i + ".png"), 40, 40, 50 + i);
    }
    for (VectorFormat format : List.of(VectorFormat.FLOAT, VectorFormat.INT7, VectorFormat.INT4)) {
      Path index = dir.resolve("index-" + format);
      HnswSettings hnsw = new HnswSettings(8, 50, format);
      IndexReport report = IncrementalIndexingTest.index(IncrementalIndexingTest.builder(index).hnsw(hnsw), in);
      assertEquals(8, report.added());
      assertEquals(format.toString(), LuceneImageStore.readStats(index).vectorFormat());
      IndexContents contents = IndexContents.read(index);
      try (Directory directory = FSDirectory.open(index); DirectoryReader reader = DirectoryReader.open(directory)) {
        for (LeafReaderContext leaf : reader.leaves()) {
          String perField = leaf.reader().getFieldInfos().fieldInfo(ImageFields.VECTOR)
              .getAttribute(PerFieldKnnVectorsFormat.PER_FIELD_FORMAT_KEY);
          assertEquals(format == VectorFormat.FLOAT, perField.equals("Lucene99HnswVectorsFormat"),
              format + " is written as " + perField);
        }
        IndexSearcher searcher = new IndexSearcher(reader);
        for (ImageRecord record : contents.byPath().values()) {
          TopDocs top = searcher.search(new KnnFloatVectorQuery(ImageFields.VECTOR, record.vector(), 1), 1);
          assertEquals(record.path(), searcher.storedFields().document(top.scoreDocs[0].doc).get(ImageFields.PATH),
              format + ": an image's own vector finds it first");
        }
      }
      try (Directory directory = FSDirectory.open(index); CheckIndex check = new CheckIndex(directory)) {
        check.setInfoStream(null);
        assertTrue(check.checkIndex().clean, format + " index is clean");
      }
    }
  }

  @Test
  void laterRunsKeepTheHnswSettingsTheIndexWasCreatedWith() throws Exception {
    Path in = Files.createDirectories(dir.resolve("in"));
    for (int i = 0; i < 4; i++) {
      TestImages.png(in.resolve("p" + i + ".png"), 40, 40, 70 + i);
    }
    Path index = dir.resolve("index");
    assertEquals(HnswSettings.DEFAULT, LuceneImageStore.settingsFor(index, null, null, null), "no index yet");
    assertFalse(Files.exists(index), "looking created nothing");

    HnswSettings created = new HnswSettings(8, 50, VectorFormat.INT7);
    IncrementalIndexingTest.index(IncrementalIndexingTest.builder(index).hnsw(created), in);
    assertEquals(created, LuceneImageStore.settingsFor(index, null, null, null));

    // A second run told nothing about HNSW (as `clipsearch index` without the options, or the server's indexer).
    for (int i = 4; i < 7; i++) {
      TestImages.png(in.resolve("p" + i + ".png"), 40, 40, 70 + i);
    }
    IndexReport second = IncrementalIndexingTest.index(IncrementalIndexingTest.builder(index), in);
    assertEquals(3, second.added());
    assertEquals(created, LuceneImageStore.settingsFor(index, null, null, null), "recorded again by the new commit");
    try (Directory directory = FSDirectory.open(index); DirectoryReader reader = DirectoryReader.open(directory)) {
      for (LeafReaderContext leaf : reader.leaves()) {
        String perField = leaf.reader().getFieldInfos().fieldInfo(ImageFields.VECTOR)
            .getAttribute(PerFieldKnnVectorsFormat.PER_FIELD_FORMAT_KEY);
        assertFalse(perField.equals("Lucene99HnswVectorsFormat"), "every segment quantized, got " + perField);
      }
    }

    // What is given explicitly wins, value by value.
    assertEquals(new HnswSettings(24, 50, VectorFormat.FLOAT),
        LuceneImageStore.settingsFor(index, 24, null, VectorFormat.FLOAT));
    assertEquals(new HnswSettings(8, 200, VectorFormat.INT7), LuceneImageStore.settingsFor(index, null, 200, null));
  }
}
