package org.clipsearch.cli;

import java.io.IOException;
import java.nio.file.FileVisitOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.clipsearch.api.Classification;
import org.clipsearch.api.LabelScore;
import org.clipsearch.encoders.ClipModel;
import org.clipsearch.encoders.Images;
import org.clipsearch.indexer.ImageIndexer;
import org.clipsearch.searcher.ZeroShotClassifier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Zero-shot classification of image files into labels the user names; needs no index. */
@Command(name = "classify", mixinStandardHelpOptions = true,
    description = "Classify images into the labels you name, with no training: "
        + "clipsearch classify --labels \"cat,dog,car\" photo.jpg")
final class ClassifyCommand implements Callable<Integer> {
  @Mixin ModelOptions modelOptions = new ModelOptions();
  @Mixin LabelOptions labelOptions = new LabelOptions();

  @Option(names = "--top", defaultValue = "3", description = "Labels shown per image (default: ${DEFAULT-VALUE}).")
  int top;

  @Option(names = "--json", description = "Print a JSON array.")
  boolean json;

  @Parameters(paramLabel = "IMAGE", arity = "1..*", description = "Image files or folders (recursively).")
  List<Path> inputs;

  @Override
  public Integer call() throws IOException {
    List<String> labels = labelOptions.labels();
    if (top < 1) {
      throw new IllegalArgumentException("--top must be at least 1, got " + top);
    }
    List<Path> files = new ArrayList<>();
    int failures = 0;
    for (Path input : inputs) {
      if (Files.isDirectory(input)) {
        try (Stream<Path> walk = Files.walk(input, FileVisitOption.FOLLOW_LINKS)) {
          walk.filter(Files::isRegularFile).filter(ImageIndexer::isImageName).sorted().forEach(files::add);
        }
      } else {
        files.add(input);
      }
    }
    List<Classification> results = new ArrayList<>();
    try (ClipModel model = modelOptions.load()) {
      ZeroShotClassifier classifier = new ZeroShotClassifier(model);
      // Labels and templates once, before any image: a template without {} is the command's error (exit status 2),
      // not a reason to skip every image; the classifier keeps these vectors for the images.
      classifier.labelVectors(labels, labelOptions.templates);
      for (Path file : files) {
        try {
          results.add(new Classification(file.toString(),
              classifier.classify(model.encodeImage(Images.read(file)), labels, labelOptions.templates, top)));
        } catch (IOException | RuntimeException e) {
          System.err.println("clipsearch: skipped " + file + ": " + ImageIndexer.describe(e));
          failures++;
        }
      }
    }
    if (json) {
      var array = Output.JSON.createArrayNode();
      results.forEach(c -> array.add(Output.classification(c)));
      Output.print(System.out, array);
    } else {
      for (Classification c : results) {
        System.out.println(c.path());
        for (LabelScore s : c.labels()) {
          System.out.printf("  %-24s %5.1f%%  (cosine %.3f)%n", s.label(), 100 * s.probability(), s.score());
        }
      }
    }
    return failures == 0 ? 0 : 1;
  }
}
