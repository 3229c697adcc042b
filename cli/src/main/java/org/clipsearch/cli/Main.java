package org.clipsearch.cli;

import org.clipsearch.encoders.EncoderException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code clipsearch} command: one subcommand per task, each with its own class of options. */
@Command(
    name = "clipsearch",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Natural-language image search on Apache Lucene with CLIP-style embeddings.",
    subcommands = {
      IndexCommand.class,
      SearchCommand.class,
      SimilarCommand.class,
      ClassifyCommand.class,
      LabelsCommand.class,
      DuplicatesCommand.class,
      EvaluateCommand.class,
      StatsCommand.class,
      SolrCreateCommand.class,
      ServeCommand.class,
      EncodeCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Main implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  public static void main(String[] args) {
    org.slf4j.bridge.SLF4JBridgeHandler.removeHandlersForRootLogger();
    org.slf4j.bridge.SLF4JBridgeHandler.install();
    System.exit(commandLine().execute(args));
  }

  /** The configured command line, shared by {@link #main} and the tests. */
  static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new Main());
    // Every subcommand has -V from mixinStandardHelpOptions; without a provider of its own it printed nothing.
    Version version = new Version();
    cli.getSubcommands().values().forEach(sub -> sub.getCommandSpec().versionProvider(version));
    // Users see one line that names the problem, never a stack trace; --debug shows it for bug reports.
    cli.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          commandLine.getErr().println("clipsearch: error: " + describe(e));
          if (Boolean.getBoolean("clipsearch.debug")) {
            e.printStackTrace(commandLine.getErr());
          }
          return e instanceof EncoderException || e instanceof java.io.IOException
                  || e instanceof IllegalArgumentException || e instanceof IllegalStateException
              ? 2
              : 1;
        });
    return cli;
  }

  private static String describe(Throwable e) {
    String message = e.getMessage();
    if (e instanceof java.nio.file.NoSuchFileException n) {
      return (n.getReason() != null ? n.getReason() + ": " : "no such file: ") + n.getFile();
    }
    return message != null ? message : e.getClass().getSimpleName();
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = Main.class.getPackage().getImplementationVersion();
      return new String[] {"clipsearch " + (version != null ? version : "development build")};
    }
  }
}
