package org.clipsearch.encoders;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * Writes a Hugging Face {@code tokenizer.json} equivalent to OpenAI CLIP's tokenizer from its BPE merges file
 * ({@code bpe_simple_vocab_16e6.txt.gz}), so that a bundle exported with only OpenAI's files can be tokenized
 * without Python.
 *
 * <p>The vocabulary is rebuilt as OpenAI's {@code simple_tokenizer.py} builds it: the 256 byte symbols, the same
 * with the end-of-word marker {@code </w>}, one token per merge (the first 48,894 lines after the header), then
 * start-of-text (49406) and end-of-text (49407). Text is NFC-normalised, whitespace collapsed and lower-cased, split
 * with OpenAI's pattern and byte-level encoded; OpenAI's ftfy and HTML unescaping have no equivalent here.
 */
public final class ClipBpeTokenizerJson {
  public static final String START_OF_TEXT = "<|startoftext|>";
  public static final String END_OF_TEXT = "<|endoftext|>";
  private static final int MERGES = 49152 - 256 - 2;
  private static final String SPLIT_PATTERN =
      "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+";

  private ClipBpeTokenizerJson() {}

  /** Reads OpenAI's gzip'd merges file and writes {@code tokenizer.json} to {@code out}. */
  public static void write(Path bpeGz, Path out) throws IOException {
    List<String> merges = readMerges(bpeGz);
    ObjectMapper json = new ObjectMapper();
    ObjectNode root = json.createObjectNode();
    root.put("version", "1.0");
    root.putNull("truncation");
    root.putNull("padding");

    Map<String, Integer> vocab = new LinkedHashMap<>();
    List<String> byteSymbols = byteSymbols();
    for (String symbol : byteSymbols) {
      vocab.put(symbol, vocab.size());
    }
    for (String symbol : byteSymbols) {
      vocab.put(symbol + "</w>", vocab.size());
    }
    for (String merge : merges) {
      vocab.put(merge.replace(" ", ""), vocab.size());
    }
    int startId = vocab.size();
    vocab.put(START_OF_TEXT, startId);
    int endId = vocab.size();
    vocab.put(END_OF_TEXT, endId);

    ArrayNode added = root.putArray("added_tokens");
    for (String token : List.of(START_OF_TEXT, END_OF_TEXT)) {
      ObjectNode t = added.addObject();
      t.put("id", vocab.get(token));
      t.put("content", token);
      t.put("single_word", false);
      t.put("lstrip", false);
      t.put("rstrip", false);
      t.put("normalized", true);
      t.put("special", true);
    }

    ObjectNode normalizer = root.putObject("normalizer");
    normalizer.put("type", "Sequence");
    ArrayNode normalizers = normalizer.putArray("normalizers");
    normalizers.addObject().put("type", "NFC");
    ObjectNode whitespace = normalizers.addObject();
    whitespace.put("type", "Replace");
    whitespace.putObject("pattern").put("Regex", "\\s+");
    whitespace.put("content", " ");
    normalizers.addObject().put("type", "Lowercase");

    ObjectNode preTokenizer = root.putObject("pre_tokenizer");
    preTokenizer.put("type", "Sequence");
    ArrayNode pre = preTokenizer.putArray("pretokenizers");
    ObjectNode split = pre.addObject();
    split.put("type", "Split");
    split.putObject("pattern").put("Regex", SPLIT_PATTERN);
    split.put("behavior", "Removed");
    split.put("invert", true);
    ObjectNode byteLevel = pre.addObject();
    byteLevel.put("type", "ByteLevel");
    byteLevel.put("add_prefix_space", false);
    byteLevel.put("trim_offsets", true);
    byteLevel.put("use_regex", false);

    ObjectNode post = root.putObject("post_processor");
    post.put("type", "RobertaProcessing");
    post.putArray("sep").add(END_OF_TEXT).add(endId);
    post.putArray("cls").add(START_OF_TEXT).add(startId);
    post.put("trim_offsets", false);
    post.put("add_prefix_space", false);

    ObjectNode decoder = root.putObject("decoder");
    decoder.put("type", "ByteLevel");
    decoder.put("add_prefix_space", true);
    decoder.put("trim_offsets", true);
    decoder.put("use_regex", true);

    ObjectNode model = root.putObject("model");
    model.put("type", "BPE");
    model.putNull("dropout");
    model.put("unk_token", END_OF_TEXT);
    model.put("continuing_subword_prefix", "");
    model.put("end_of_word_suffix", "</w>");
    model.put("fuse_unk", false);
    model.put("byte_fallback", false);
    ObjectNode vocabNode = model.putObject("vocab");
    vocab.forEach(vocabNode::put);
    ArrayNode mergesNode = model.putArray("merges");
    merges.forEach(mergesNode::add);

    Files.createDirectories(out.toAbsolutePath().getParent());
    json.writeValue(out.toFile(), root);
  }

  private static List<String> readMerges(Path bpeGz) throws IOException {
    List<String> merges = new ArrayList<>(MERGES);
    try (InputStream in = new GZIPInputStream(Files.newInputStream(bpeGz));
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      reader.readLine(); // version header
      for (String line; merges.size() < MERGES && (line = reader.readLine()) != null; ) {
        if (line.split(" ").length != 2) {
          throw new IOException(bpeGz + ": line " + (merges.size() + 2) + " is not a merge: '" + line + "'");
        }
        merges.add(line);
      }
    }
    if (merges.size() < MERGES) {
      throw new IOException(bpeGz + " has " + merges.size() + " merges; CLIP's vocabulary needs " + MERGES);
    }
    return merges;
  }

  /** GPT-2's reversible map from bytes to printable characters, in the order OpenAI's tokenizer lists them. */
  static List<String> byteSymbols() {
    List<Integer> bytes = new ArrayList<>();
    for (int b = '!'; b <= '~'; b++) {
      bytes.add(b);
    }
    for (int b = 0xA1; b <= 0xAC; b++) {
      bytes.add(b);
    }
    for (int b = 0xAE; b <= 0xFF; b++) {
      bytes.add(b);
    }
    List<Integer> chars = new ArrayList<>(bytes);
    int n = 0;
    for (int b = 0; b < 256; b++) {
      if (!bytes.contains(b)) {
        bytes.add(b);
        chars.add(256 + n++);
      }
    }
    List<String> symbols = new ArrayList<>(256);
    for (int c : chars) {
      symbols.add(new String(Character.toChars(c)));
    }
    return symbols;
  }

  /** {@code clipsearch}-free entry point: {@code ClipBpeTokenizerJson BPE_GZ OUT_JSON}. */
  public static void main(String[] args) throws IOException {
    if (args.length != 2) {
      System.err.println("usage: ClipBpeTokenizerJson bpe_simple_vocab_16e6.txt.gz tokenizer.json");
      System.exit(2);
    }
    write(Path.of(args[0]), Path.of(args[1]));
  }
}
