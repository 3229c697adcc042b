package org.clipsearch.searcher;

import java.util.List;

/**
 * Prompt ensembles for zero-shot classification: each label is embedded in several sentences and the embeddings
 * averaged, as the CLIP paper does, because a bare word ("boxer") is ambiguous where "a photo of a boxer." is not.
 */
public final class PromptTemplates {
  /** The default ensemble, for photos and drawings alike. */
  public static final List<String> DEFAULT =
      List.of(
          "a photo of a {}.",
          "a picture of a {}.",
          "a drawing of a {}.",
          "a clipart of a {}.",
          "an illustration of a {}.",
          "a photo of the {}.",
          "a close-up photo of a {}.",
          "a cartoon {}.",
          "an icon of a {}.",
          "a {}.",
          "{}",
          "a good photo of a {}.");

  private PromptTemplates() {}

  static List<String> apply(List<String> templates, String label) {
    return templates.stream().map(t -> t.replace("{}", label)).toList();
  }
}
