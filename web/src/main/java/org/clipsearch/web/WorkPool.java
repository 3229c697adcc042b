package org.clipsearch.web;

import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs the expensive part of requests (embedding, vector search, classification, decoding uploads) on a fixed number
 * of threads with a bounded queue, so that a burst of requests waits or is refused (503) instead of piling up work
 * and memory. A request waits at most the request timeout for its result, queueing included.
 */
final class WorkPool implements AutoCloseable {
  private final ThreadPoolExecutor executor;
  private final Duration timeout;
  /** Uploads held in memory at once: each may be as large as the upload limit. */
  private final Semaphore uploads;

  WorkPool(int threads, int queueCapacity, Duration timeout) {
    this.timeout = timeout;
    AtomicInteger count = new AtomicInteger();
    this.executor = new ThreadPoolExecutor(threads, threads, 0L, TimeUnit.MILLISECONDS,
        new ArrayBlockingQueue<>(queueCapacity), r -> {
          Thread t = new Thread(r, "clipsearch-web-worker-" + count.incrementAndGet());
          t.setDaemon(true);
          return t;
        }, new ThreadPoolExecutor.AbortPolicy());
    this.uploads = new Semaphore(Math.max(2, threads), true);
  }

  interface Work<T> {
    T call() throws Exception;
  }

  /** Runs {@code work} on a worker and waits for it, at most the request timeout. */
  <T> T run(Work<T> work) throws Exception {
    Future<T> future;
    try {
      Callable<T> callable = work::call;
      future = executor.submit(callable);
    } catch (RejectedExecutionException e) {
      throw ApiError.unavailable("the server is busy; try again in a moment");
    }
    try {
      return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      future.cancel(true);
      throw ApiError.unavailable("the request took longer than " + timeout.toSeconds() + " s; try a smaller one");
    } catch (InterruptedException e) {
      future.cancel(true);
      Thread.currentThread().interrupt();
      throw ApiError.unavailable("the server is shutting down");
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof Exception ex) {
        throw ex;
      }
      if (cause instanceof Error err) {
        throw err;
      }
      throw e;
    }
  }

  /** Holds one of the few upload slots while {@code body} runs; 503 when none frees up within the timeout. */
  <T> T withUploadSlot(Work<T> body) throws Exception {
    boolean acquired;
    try {
      acquired = uploads.tryAcquire(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw ApiError.unavailable("the server is shutting down");
    }
    if (!acquired) {
      throw ApiError.unavailable("too many uploads at once; try again in a moment");
    }
    try {
      return body.call();
    } finally {
      uploads.release();
    }
  }

  int active() {
    return executor.getActiveCount();
  }

  int queued() {
    return executor.getQueue().size();
  }

  @Override
  public void close() {
    executor.shutdownNow();
    try {
      // Running work finishes (searches are not interruptible) before the model may be closed.
      executor.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
