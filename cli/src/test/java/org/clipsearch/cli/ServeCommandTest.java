package org.clipsearch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.clipsearch.cli.IndexCommandTest.Result;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code clipsearch serve} over an index written by another model, as after an update of the default model: it
 * refuses and says how to go on, and with {@code --reindex} re-embeds the folders in the background while serving.
 */
class ServeCommandTest {
  static final Path MODEL = IndexCommandTest.MODEL;
  static final Path OTHER_MODEL = IndexCommandTest.OTHER_MODEL;
  static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  private static String modelName(Path bundle) throws Exception {
    return JSON.readTree(bundle.resolve("clipsearch-model.json").toFile()).path("name").asText();
  }

  @Test
  void anEmptyAccessTokenIsRefusedRatherThanServedWithoutOne() throws Exception {
    for (String empty : new String[] {"", " "}) {
      Result refused = IndexCommandTest.run("serve", "--index", dir.resolve("index").toString(), "--model",
          MODEL.toString(), "--port", "0", "--auth-token", empty);
      assertEquals(2, refused.exitCode(), refused.out() + refused.err());
      assertTrue(refused.err().contains("--auth-token is empty"), refused.err());
      assertFalse(refused.out().contains("access token required"), refused.out());
    }
  }

  @Test
  void aHostNameThatDoesNotResolveIsNamedAsSuch() {
    // .invalid never resolves (RFC 6761); Jetty's own message for the failed bind was "Port already in use".
    Result refused = IndexCommandTest.run("serve", "--index", dir.resolve("index").toString(), "--model",
        MODEL.toString(), "--port", "0", "--host", "not.a.host.invalid");
    assertEquals(2, refused.exitCode(), refused.out() + refused.err());
    assertTrue(refused.err().contains("--host not.a.host.invalid: no such host name"), refused.err());
  }

  @Test
  void anIndexOfAnotherModelIsRefusedUntouchedAndReindexedWhenAsked() throws Exception {
    Path photos = IndexCommandTest.photos(dir);
    Path index = dir.resolve("index");
    Result first = IndexCommandTest.run("index", "--index", index.toString(), "--model", OTHER_MODEL.toString(),
        photos.toString());
    assertEquals(0, first.exitCode(), first.err());
    assertNotEquals(modelName(MODEL), modelName(OTHER_MODEL), "the two fixtures are different models");

    Result refused = IndexCommandTest.run("serve", "--index", index.toString(), "--model", MODEL.toString(),
        "--port", "0", photos.toString());
    assertEquals(2, refused.exitCode(), refused.out() + refused.err());
    assertTrue(refused.err().contains("--reindex"), "the error says how to go on: " + refused.err());
    assertFalse(refused.err().contains("\tat "), "no stack trace: " + refused.err());
    JsonNode untouched = IndexCommandTest.stats(index);
    assertEquals(modelName(OTHER_MODEL), untouched.path("model").path("name").asText(), untouched.toString());
    assertEquals(2, untouched.path("images").asInt(), untouched.toString());

    Result nothingToReindex = IndexCommandTest.run("serve", "--index", index.toString(), "--model",
        MODEL.toString(), "--port", "0", "--reindex");
    assertEquals(2, nothingToReindex.exitCode(), nothingToReindex.err());
    assertTrue(nothingToReindex.err().contains("--reindex"), nothingToReindex.err());

    // serve blocks until interrupted; start() is the same run without the wait, and closing it is the Ctrl-C.
    CommandLine cli = Main.commandLine();
    cli.parseArgs("serve", "--index", index.toString(), "--model", MODEL.toString(), "--port", "0", "--reindex",
        photos.toString());
    ServeCommand serve = cli.getSubcommands().get("serve").getCommand();
    try (ServeCommand.Serving serving = serve.start()) {
      long deadline = System.nanoTime() + 120_000_000_000L;
      HttpClient http = HttpClient.newHttpClient();
      URI statsUri = serving.server().uri().resolve("/api/stats");
      JsonNode served;
      do {
        Thread.sleep(100);
        HttpResponse<String> response =
            http.send(HttpRequest.newBuilder(statsUri).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response.body());
        served = JSON.readTree(response.body());
      } while (served.path("indexing").path("running").asBoolean(true) && System.nanoTime() < deadline);
      assertEquals(modelName(MODEL), served.path("model").path("name").asText(), served.toString());
      assertEquals(2, served.path("images").asInt(), served.toString());
      assertEquals(0, served.path("indexing").path("failed").asInt(), served.toString());
      serving.indexing().join(10_000); // it reports the end from its last lines
      assertFalse(serving.indexing().isAlive(), "the background indexing ended");
    }
    JsonNode after = IndexCommandTest.stats(index);
    assertEquals(modelName(MODEL), after.path("model").path("name").asText(), after.toString());
    assertEquals(2, after.path("images").asInt(), after.toString());
  }
}
