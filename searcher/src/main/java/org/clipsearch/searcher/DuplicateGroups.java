package org.clipsearch.searcher;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Near-duplicate grouping for both backends: union-find over images, joined first by identical content hash and
 * then by each similar pair the backend finds. Groups come out in the order their first image was added. Not
 * thread-safe.
 *
 * @param <K> how the backend names an image (a document number, a path)
 */
public final class DuplicateGroups<K> {
  private final Map<K, K> parent = new LinkedHashMap<>();
  private final Map<String, K> firstByHash = new HashMap<>();

  /** Adds an image with its content hash; an image with a hash seen before joins that image's group. */
  public void add(K key, String sha256) {
    parent.putIfAbsent(key, key);
    if (sha256 != null) {
      K first = firstByHash.putIfAbsent(sha256, key);
      if (first != null) {
        join(first, key);
      }
    }
  }

  /** Puts two added images in one group. */
  public void join(K a, K b) {
    K ra = root(a);
    K rb = root(b);
    if (!ra.equals(rb)) {
      parent.put(rb, ra);
    }
  }

  private K root(K key) {
    K p = parent.get(key);
    if (p == null) {
      throw new IllegalArgumentException("not added: " + key);
    }
    while (!p.equals(key)) {
      K grand = parent.get(p);
      parent.put(key, grand); // path halving keeps later lookups short
      key = p;
      p = grand;
    }
    return key;
  }

  /** The groups of two or more images, each in the order its images were added. */
  public List<List<K>> groups() {
    Map<K, List<K>> byRoot = new LinkedHashMap<>();
    for (K key : new ArrayList<>(parent.keySet())) {
      byRoot.computeIfAbsent(root(key), r -> new ArrayList<>()).add(key);
    }
    List<List<K>> groups = new ArrayList<>();
    for (List<K> group : byRoot.values()) {
      if (group.size() > 1) {
        groups.add(group);
      }
    }
    return groups;
  }
}
