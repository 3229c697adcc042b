package org.clipsearch.cluster;

import java.io.Closeable;
import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpConnectTimeoutException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.solr.client.solrj.SolrQuery;
import org.apache.solr.client.solrj.SolrRequest;
import org.apache.solr.client.solrj.SolrResponse;
import org.apache.solr.client.solrj.SolrServerException;
import org.apache.solr.client.solrj.impl.HttpJdkSolrClient;
import org.apache.solr.client.solrj.impl.ZkClientClusterStateProvider;
import org.apache.solr.client.solrj.request.CollectionAdminRequest;
import org.apache.solr.client.solrj.request.QueryRequest;
import org.apache.solr.client.solrj.response.QueryResponse;
import org.apache.solr.common.SolrDocument;
import org.apache.solr.common.SolrException;
import org.apache.solr.common.cloud.DocCollection;
import org.apache.solr.common.cloud.Replica;
import org.apache.solr.common.cloud.SolrZkClient;
import org.apache.solr.common.cloud.ZkStateReader;
import org.apache.solr.common.params.CursorMarkParams;
import org.clipsearch.api.ImageFields;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A connection to a SolrCloud cluster: ZooKeeper for the cluster's state (live nodes, where each collection's
 * replicas are, collection properties) and SolrJ's JDK HTTP client ({@link HttpJdkSolrClient}, no Jetty) for
 * requests.
 *
 * <p>SolrJ 9's ZooKeeper-aware client ({@code CloudSolrClient}) is built on the Jetty-based {@code Http2SolrClient}
 * only, which clashes with Javalin's Jetty 12; so this class does the small part of its work that clipsearch needs:
 * a request goes to a live node that holds an active replica of the collection (any live node for admin requests),
 * and on a connection failure or a server error it is retried on the next node, then after a pause with the
 * cluster state read afresh. Solr itself forwards updates to the shard leaders and fans searches out to one replica
 * of every shard, merging their results.
 */
public final class SolrCluster implements Closeable {
  private static final Logger LOG = LoggerFactory.getLogger(SolrCluster.class);
  /** How long a request keeps retrying while nodes go down or leaders are elected. */
  static final long RETRY_NANOS = TimeUnit.SECONDS.toNanos(45);

  private final String zkHost;
  private final ZkClientClusterStateProvider state;
  private final Map<String, HttpJdkSolrClient> clients = new ConcurrentHashMap<>();

  private SolrCluster(String zkHost, ZkClientClusterStateProvider state) {
    this.zkHost = zkHost;
    this.state = state;
  }

  /**
   * Connects to the cluster whose ZooKeeper ensemble is {@code zkHost}: {@code host:port[,host:port...][/chroot]},
   * as Solr's {@code -z} option takes it.
   */
  public static SolrCluster connect(String zkHost) throws IOException {
    if (zkHost == null || zkHost.isBlank()) {
      throw new IllegalArgumentException("no ZooKeeper address: expected HOST:PORT[,HOST:PORT...][/CHROOT]");
    }
    if (zkHost.startsWith("http://") || zkHost.startsWith("https://")) {
      throw new IllegalArgumentException("--solr takes the cluster's ZooKeeper address (HOST:PORT[/CHROOT], as"
          + " Solr's -z), not a Solr URL: " + zkHost);
    }
    int slash = zkHost.indexOf('/');
    String hosts = slash < 0 ? zkHost : zkHost.substring(0, slash);
    String chroot = slash < 0 ? null : zkHost.substring(slash);
    if ("/".equals(chroot)) {
      chroot = null;
    }
    List<String> hostList = Arrays.stream(hosts.split(",")).map(String::strip).filter(h -> !h.isEmpty()).toList();
    ZkClientClusterStateProvider provider = new ZkClientClusterStateProvider(hostList, chroot);
    provider.setZkConnectTimeout((int) TimeUnit.SECONDS.toMillis(15));
    try {
      provider.connect();
    } catch (RuntimeException e) {
      closeQuietly(provider);
      throw new IOException("cannot reach ZooKeeper at " + zkHost + ": " + message(e), e);
    }
    SolrCluster cluster = new SolrCluster(zkHost, provider);
    if (provider.getLiveNodes().isEmpty()) {
      LOG.warn("no live Solr node is registered in ZooKeeper at {} (wrong chroot? Solr's default is none)", zkHost);
    }
    return cluster;
  }

  public String zkHost() {
    return zkHost;
  }

  public ZkStateReader stateReader() {
    return state.getZkStateReader();
  }

  public SolrZkClient zkClient() {
    return stateReader().getZkClient();
  }

  public Set<String> liveNodes() {
    return state.getLiveNodes();
  }

  /** The collection's state, or null when there is no such collection. */
  public DocCollection collection(String name) {
    return state.getClusterState().getCollectionOrNull(name);
  }

  /** The collection's state; fails with a message that tells how to create one. */
  public DocCollection requireCollection(String name) throws IOException {
    DocCollection collection = collection(name);
    if (collection == null) {
      throw new IOException("there is no collection '" + name + "' in the SolrCloud cluster at " + zkHost
          + " (create it with 'clipsearch solr-create --solr " + zkHost + " --collection " + name + "')");
    }
    return collection;
  }

  /** The collection's properties (COLLECTIONPROP), read from ZooKeeper. */
  public Map<String, String> collectionProperties(String collection) {
    return stateReader().getCollectionProperties(collection);
  }

  public void setCollectionProperty(String collection, String name, String value) throws IOException {
    request(CollectionAdminRequest.setCollectionProperty(collection, name, value), null);
  }

  public String baseUrl(String nodeName) {
    return stateReader().getBaseUrlForNodeName(nodeName);
  }

  /** Base URLs to try, best first: live nodes with an active replica of {@code collection}, then other live nodes. */
  List<String> candidates(String collection) {
    Set<String> live = state.getLiveNodes();
    Set<String> preferred = new LinkedHashSet<>();
    if (collection != null) {
      DocCollection c = collection(collection);
      if (c != null) {
        List<String> hosting = new ArrayList<>();
        for (Replica r : c.getReplicas()) {
          String node = r.getNodeName();
          if (r.getState() == Replica.State.ACTIVE && live.contains(node) && !hosting.contains(node)) {
            hosting.add(node);
          }
        }
        Collections.shuffle(hosting);
        preferred.addAll(hosting);
      }
    }
    List<String> others = new ArrayList<>(live);
    Collections.shuffle(others);
    preferred.addAll(others);
    return preferred.stream().map(this::baseUrl).toList();
  }

  /** Receives one document of a {@link #forEachDocument} walk. */
  @FunctionalInterface
  public interface DocumentAction {
    void accept(SolrDocument doc) throws IOException;
  }

  /**
   * Every document {@code query} matches, page by page with a cursor sorted by path (the uniqueKey), so that any
   * collection size works; the query's rows set the page size.
   */
  public void forEachDocument(String collection, SolrQuery query, DocumentAction action) throws IOException {
    query.setSort(ImageFields.PATH, SolrQuery.ORDER.asc);
    String cursor = CursorMarkParams.CURSOR_MARK_START;
    while (true) {
      query.set(CursorMarkParams.CURSOR_MARK_PARAM, cursor);
      QueryResponse response = request(new QueryRequest(query, SolrRequest.METHOD.POST), collection);
      for (SolrDocument doc : response.getResults()) {
        action.accept(doc);
      }
      String next = response.getNextCursorMark();
      if (next == null || next.equals(cursor)) {
        return;
      }
      cursor = next;
    }
  }

  /**
   * Sends {@code request} to the cluster (for {@code collection}, or an admin request when null), retrying on the
   * next node when a node cannot be reached or fails, until {@link #RETRY_NANOS} passed. Requests that the server
   * refuses (4xx) are not retried.
   */
  public <T extends SolrResponse> T request(SolrRequest<T> request, String collection) throws IOException {
    long deadline = System.nanoTime() + RETRY_NANOS;
    Exception last = null;
    for (int round = 0; ; round++) {
      List<String> urls = candidates(collection);
      for (String url : urls) {
        try {
          return request.process(client(url), collection);
        } catch (SolrServerException | IOException e) {
          last = e;
          LOG.debug("{} failed on {}: {}", request.getPath(), url, message(e));
        } catch (SolrException e) {
          if (e.code() >= 400 && e.code() < 500) {
            throw new IOException("Solr refused the request (" + request.getPath() + "): " + message(e), e);
          }
          last = e;
          LOG.debug("{} failed on {}: {}", request.getPath(), url, message(e));
        }
      }
      if (System.nanoTime() > deadline) {
        String why = urls.isEmpty() ? "no live Solr node" : message(last);
        throw new IOException("SolrCloud at " + zkHost + " did not answer " + request.getPath()
            + (collection != null ? " for collection " + collection : "") + ": " + why, last);
      }
      try {
        Thread.sleep(Math.min(2000, 250L << Math.min(round, 3)));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted", e);
      }
    }
  }

  /** The client of one node (a JDK HttpClient each), created on first use. */
  HttpJdkSolrClient client(String baseUrl) {
    return clients.computeIfAbsent(baseUrl, url -> new HttpJdkSolrClient.Builder(url)
        .useHttp1_1(true)
        .withConnectionTimeout(10, TimeUnit.SECONDS)
        .withRequestTimeout(10, TimeUnit.MINUTES)
        .build());
  }

  /**
   * Waits until every replica of {@code collection} is active on a live node (after creation, or after a node came
   * back and its replicas recovered).
   */
  public void waitForAllActive(String collection, long timeout, TimeUnit unit) throws IOException {
    try {
      stateReader().waitForState(collection, timeout, unit, (live, c) -> c != null && c.getSlices().stream()
          .allMatch(s -> !s.getReplicas().isEmpty()
              && s.getReplicas().stream().allMatch(r -> r.getState() == Replica.State.ACTIVE
              && live.contains(r.getNodeName()))));
    } catch (TimeoutException e) {
      throw new IOException("the replicas of " + collection + " did not all become active within "
          + unit.toSeconds(timeout) + " s", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  static String message(Throwable e) {
    if (e == null) {
      return "unknown error";
    }
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t
        && (t instanceof SolrServerException || t.getMessage() == null)) {
      t = t.getCause();
    }
    if (t instanceof ConnectException || t instanceof HttpConnectTimeoutException) {
      return "connection refused or timed out";
    }
    return t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
  }

  private static void closeQuietly(Closeable c) {
    try {
      c.close();
    } catch (IOException | RuntimeException e) {
      LOG.debug("close failed", e);
    }
  }

  @Override
  public void close() {
    for (HttpJdkSolrClient client : clients.values()) {
      closeQuietly(client);
    }
    clients.clear();
    closeQuietly(state);
  }
}
