package dev.wechatauth.bench.soak;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Samples each gateway's memory on a thread of its own while the soak runs: heap in use and resident set every
 * {@link SoakPlan#sampleEvery()}, and heap right after a forced full GC every {@link SoakPlan#fullGcEvery()} (the
 * heap the gateway cannot give back: what must not grow).
 */
final class MemorySampler implements AutoCloseable {

    /**
     * One look at one gateway.
     *
     * @param at when ({@link System#nanoTime()})
     * @param instance 0: A, 1: B
     * @param heapUsed heap in use, bytes (-1: not answered)
     * @param rss resident set, bytes (-1: not read)
     * @param afterFullGc whether {@code heapUsed} was read right after a forced full GC
     */
    record Sample(long at, int instance, long heapUsed, long rss, boolean afterFullGc) {
    }

    private final List<GatewayInstance> gateways;
    private final SoakPlan plan;
    private final String jcmd;
    private final List<Sample> samples = new ArrayList<>();
    private final Thread thread;
    private volatile boolean running = true;

    /** @param jcmd the jcmd binary, or null: no full GCs, no heap after GC */
    MemorySampler(List<GatewayInstance> gateways, SoakPlan plan, String jcmd) {
        this.gateways = gateways;
        this.plan = plan;
        this.jcmd = jcmd;
        this.thread = new Thread(this::run, "soak-memory");
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    private void run() {
        long nextGc = System.nanoTime() + plan.fullGcEvery().toNanos();
        while (running) {
            boolean fullGc = jcmd != null && System.nanoTime() >= nextGc;
            if (fullGc) {
                nextGc += plan.fullGcEvery().toNanos();
            }
            for (int i = 0; i < gateways.size(); i++) {
                GatewayInstance gateway = gateways.get(i);
                long heap = fullGc ? gateway.heapAfterFullGcBytes(jcmd) : gateway.heapUsedBytes();
                add(new Sample(System.nanoTime(), i, heap, gateway.rssBytes(), fullGc));
            }
            try {
                Thread.sleep(plan.sampleEvery().toMillis());
            } catch (InterruptedException stop) {
                return;
            }
        }
    }

    /** One more full GC on each gateway, now (the last point of the heap-after-GC series). */
    void fullGcNow() {
        if (jcmd == null) {
            return;
        }
        for (int i = 0; i < gateways.size(); i++) {
            GatewayInstance gateway = gateways.get(i);
            add(new Sample(System.nanoTime(), i, gateway.heapAfterFullGcBytes(jcmd), gateway.rssBytes(), true));
        }
    }

    private synchronized void add(Sample sample) {
        samples.add(sample);
    }

    synchronized List<Sample> samples() {
        return List.copyOf(samples);
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
        try {
            thread.join(Duration.ofSeconds(35).toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
