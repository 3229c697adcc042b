package org.clipsearch.indexer;

import java.nio.file.Path;
import java.util.List;
import org.clipsearch.encoders.ClipModel;

/**
 * The child JVM of {@link CrashResumeTest}: indexes a folder committing every 20 images, slowly (a pause after each
 * batch keeps the window between commits wide), and prints a line after each commit so that the parent knows when to
 * kill it.
 *
 * <p>Arguments: FOLDER INDEX MODEL PAUSE_MILLIS. Prints {@code COMMITTED n} after each commit ({@code n} images
 * written by this run so far) and {@code DONE embedded} at the end.
 */
public final class CrashIndexingMain {
  private CrashIndexingMain() {}

  public static void main(String[] args) throws Exception {
    Path folder = Path.of(args[0]);
    Path index = Path.of(args[1]);
    Path modelDir = Path.of(args[2]);
    long pauseMillis = Long.parseLong(args[3]);
    IndexProgress progress = new IndexProgress() {
      @Override
      public void advanced(int done, int total, int failed) {
        try {
          Thread.sleep(pauseMillis);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }

      @Override
      public void committed(int written) {
        System.out.println("COMMITTED " + written);
        System.out.flush();
      }
    };
    try (ClipModel model = ClipModel.load(modelDir);
        ImageIndexer indexer = ImageIndexer.builder()
            .index(index).model(model).threads(1).batchSize(8).commitEvery(20).progress(progress).build()) {
      System.out.println("STARTED");
      System.out.flush();
      IndexReport report = indexer.index(List.of(folder));
      System.out.println("DONE " + report.embedded());
      System.out.flush();
    }
  }
}
