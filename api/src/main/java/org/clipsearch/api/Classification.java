package org.clipsearch.api;

import java.util.List;

/** An image's labels, most probable first. */
public record Classification(String path, List<LabelScore> labels) {}
