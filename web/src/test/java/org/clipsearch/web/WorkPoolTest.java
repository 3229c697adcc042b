package org.clipsearch.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The bounds of the work pool, with work that holds its thread until the test lets it go. */
class WorkPoolTest {
  // Callers of their own: the common pool may have a single thread on a small machine.
  private final ExecutorService callers = Executors.newCachedThreadPool();

  @AfterEach
  void stopCallers() {
    callers.shutdownNow();
  }

  @Test
  void workBeyondTheThreadsAndTheQueueIsRefusedWith503() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    try (WorkPool pool = new WorkPool(1, 1, Duration.ofSeconds(60))) {
      CompletableFuture<String> running = CompletableFuture.supplyAsync(() -> call(pool, release, "running"), callers);
      awaitTrue(() -> pool.active() == 1, "the first work runs");
      CompletableFuture<String> queued = CompletableFuture.supplyAsync(() -> call(pool, release, "queued"), callers);
      awaitTrue(() -> pool.queued() == 1, "the second work waits in the queue");

      ApiError refused = assertThrows(ApiError.class, () -> pool.run(() -> "third"));
      assertEquals(503, refused.status());
      assertTrue(refused.getMessage().contains("busy"), refused.getMessage());

      release.countDown();
      assertEquals("running", running.get(30, TimeUnit.SECONDS));
      assertEquals("queued", queued.get(30, TimeUnit.SECONDS));
      assertEquals("after", pool.run(() -> "after"), "once the queue empties, work is taken again");
    }
  }

  @Test
  void workThatOutlastsTheTimeoutIsAnsweredWith503() throws Exception {
    CountDownLatch never = new CountDownLatch(1);
    try (WorkPool pool = new WorkPool(1, 1, Duration.ofMillis(200))) {
      ApiError late = assertThrows(ApiError.class, () -> pool.run(() -> never.await(60, TimeUnit.SECONDS)));
      assertEquals(503, late.status());
      assertTrue(late.getMessage().contains("took longer"), late.getMessage());
      // The late work was interrupted, so the thread is free for the next.
      assertEquals("next", pool.run(() -> "next"));
    }
  }

  @Test
  void uploadsBeyondTheSlotsWaitForTheTimeoutThenAreRefused() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    // One thread gives two upload slots.
    try (WorkPool pool = new WorkPool(1, 1, Duration.ofMillis(300))) {
      CountDownLatch holding = new CountDownLatch(2);
      CompletableFuture<?> first = CompletableFuture.runAsync(() -> hold(pool, holding, release), callers);
      CompletableFuture<?> second = CompletableFuture.runAsync(() -> hold(pool, holding, release), callers);
      assertTrue(holding.await(30, TimeUnit.SECONDS), "both slots are taken");

      ApiError refused = assertThrows(ApiError.class, () -> pool.withUploadSlot(() -> "third"));
      assertEquals(503, refused.status());
      assertTrue(refused.getMessage().contains("too many uploads"), refused.getMessage());

      release.countDown();
      first.get(30, TimeUnit.SECONDS);
      second.get(30, TimeUnit.SECONDS);
      assertEquals("after", pool.withUploadSlot(() -> "after"));
    }
  }

  private static String call(WorkPool pool, CountDownLatch release, String result) {
    try {
      return pool.run(() -> {
        release.await();
        return result;
      });
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static void hold(WorkPool pool, CountDownLatch holding, CountDownLatch release) {
    try {
      pool.withUploadSlot(() -> {
        holding.countDown();
        return release.await(60, TimeUnit.SECONDS);
      });
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static void awaitTrue(java.util.function.BooleanSupplier condition, String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, "timed out waiting until " + what);
      Thread.sleep(5);
    }
  }
}
