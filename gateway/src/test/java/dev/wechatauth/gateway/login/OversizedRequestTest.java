package dev.wechatauth.gateway.login;

import static dev.wechatauth.gateway.rig.ContractAssertions.assertError;
import static dev.wechatauth.gateway.rig.ContractAssertions.assertStillServes;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import dev.wechatauth.gateway.rig.Answer;
import dev.wechatauth.gateway.rig.Backends;
import dev.wechatauth.gateway.rig.Http;
import dev.wechatauth.gateway.rig.OnTheSharedGateway;
import dev.wechatauth.gateway.rig.Timing;
import io.netty.util.internal.PlatformDependent;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The threat of making the gateway hold what a client sends: a login body far over 16 KiB must be refused with 413
 * before it has been received whole (the client learns it at once and the gateway's memory does not grow by the
 * body); a body nested 10,000 deep is refused, not parsed into a stack overflow; a header over the HTTP server's limit
 * is its 431, reaches no service, and leaves the gateway serving.
 */
class OversizedRequestTest extends OnTheSharedGateway {

    private static final int FIFTY_MB = 50 * 1024 * 1024;
    private static final int CHUNK = 64 * 1024;
    /** How long the upload waits for an answer after each chunk: the pace of the upload (about 3 MB/s). */
    private static final long PACING_MILLIS = 20;
    /**
     * The time to the 413, with {@linkplain Timing#CI_MARGIN a margin}: the refusal is "at once", and the bytes sent by
     * then (under half the upload, at this pace) are what proves it came before the body was received whole.
     */
    private static final Duration REFUSED_WITHIN = Timing.generous(Duration.ofSeconds(1));

    @BeforeAll
    static void warmUp() {
        // a fresh gateway's first login connects to Redis, and its first 413 runs cold code: keep both out of the
        // timings and the heap figures
        gateway.newToken();
        byte[] warmUp = ("{\"code\":\"abc\",\"pad\":\"" + "x".repeat(64 * 1024) + "\"}")
                .getBytes(StandardCharsets.UTF_8);
        assertError(gateway.raw("POST /wx/login HTTP/1.1", Http.chunked(warmUp, 8192),
                "Content-Type: application/json", "Transfer-Encoding: chunked"), 413, "invalid_request");
    }

    @Test
    void aFiftyMegabyteChunkedLoginIsRefusedBeforeItIsReceivedWhole() throws Exception {
        Upload upload = new Upload("Transfer-Encoding: chunked", true);

        Upload.Result result = upload.run();

        System.out.println("[measured] 50 MB chunked login: 413 after " + result.answeredAfter.toMillis() + " ms, "
                + result.sentWhenAnswered / 1024 + " KiB sent by then of " + FIFTY_MB / 1024 + " KiB; heap growth "
                + result.heapGrowth / 1024 + " KiB retained, " + result.heapPeakGrowth / 1024
                + " KiB at the peak; Netty direct memory growth " + result.directGrowth / 1024 + " KiB");
        assertError(result.answer, 413, "invalid_request");
        assertThat(result.sentWhenAnswered).as("bytes sent when the answer arrived").isLessThan(FIFTY_MB / 2);
        assertThat(result.answeredAfter).as("time to the 413").isLessThan(REFUSED_WITHIN);
        assertThat(result.heapGrowth).as("heap retained after the upload").isLessThan(FIFTY_MB / 5);
        assertThat(result.heapPeakGrowth).as("heap growth at its peak during the upload").isLessThan(FIFTY_MB / 2);
        assertThat(backends.wechat.calls()).as("calls to WeChat").isZero();
        assertStillServes(gateway);
    }

    @Test
    void aLoginDeclaringFiftyMegabytesIsRefusedWithoutWaitingForTheBody() throws Exception {
        Upload upload = new Upload("Content-Length: " + FIFTY_MB, false);

        Upload.Result result = upload.run();

        System.out.println("[measured] 50 MB declared login: 413 after " + result.answeredAfter.toMillis() + " ms, "
                + result.sentWhenAnswered / 1024 + " KiB sent by then");
        assertError(result.answer, 413, "invalid_request");
        assertThat(result.sentWhenAnswered).as("bytes sent when the answer arrived").isLessThan(FIFTY_MB / 2);
        assertThat(result.answeredAfter).as("time to the 413").isLessThan(REFUSED_WITHIN);
        assertThat(backends.wechat.calls()).as("calls to WeChat").isZero();
        assertStillServes(gateway);
    }

    @Test
    void jsonNestedTenThousandDeepIsRefused() {
        String nested = "[".repeat(10_000) + "]".repeat(10_000);

        Answer answer = gateway.loginWithBody("{\"code\":\"abc\",\"x\":" + nested + "}");

        assertThat(answer.status()).as("%s", answer).isIn(400, 413);
        assertError(answer, answer.status(), "invalid_request");
        assertThat(backends.wechat.calls()).as("calls to WeChat").isZero();
    }

    @Test
    void jsonNestedDeepButUnderTheSizeLimitIsInvalidRequest() {
        String nested = "{\"a\":".repeat(2_000) + "1" + "}".repeat(2_000);

        Answer objects = gateway.loginWithBody("{\"code\":\"abc\",\"x\":" + nested + "}");
        Answer arrays = gateway.loginWithBody("{\"x\":" + "[".repeat(7_000) + "]".repeat(7_000) + ",\"code\":\"abc\"}");

        assertError(objects, 400, "invalid_request");
        assertError(arrays, 400, "invalid_request");
        assertThat(backends.wechat.calls()).as("calls to WeChat").isZero();
    }

    @Test
    void aSixteenKilobyteHeaderIsRefusedByTheServerAndReachesNoService() {
        String token = gateway.newToken();
        backends.echo.clear();

        Answer answer = gateway.raw("GET " + Backends.REQUIRED + " HTTP/1.1", "Authorization: Bearer " + token,
                "X-Big: " + "x".repeat(16 * 1024));

        assertThat(answer.status()).as("%s", answer).isEqualTo(431);
        assertThat(backends.echo.count()).as("requests that reached the service").isZero();
        assertStillServes(gateway);
    }

    @Test
    void manyHeadersAddingUpToSixteenKilobytesAreRefusedByTheServer() {
        String[] headers = new String[256];
        for (int i = 0; i < headers.length; i++) {
            headers[i] = "X-Filler-" + i + ": " + "y".repeat(56);
        }

        Answer answer = gateway.raw("GET " + Backends.PUBLIC + " HTTP/1.1", headers);

        assertThat(answer.status()).as("%s", answer).isEqualTo(431);
        assertThat(backends.echo.count()).as("requests that reached the service").isZero();
        assertStillServes(gateway);
    }

    /**
     * A 50 MB login upload at about 3 MB/s (64 KiB, then up to {@value #PACING_MILLIS} ms waiting for the answer),
     * stopped as soon as an answer arrives; measures when it came, how much had been sent, and the heap of this JVM
     * (the gateway's).
     */
    private static final class Upload {

        private final String framing;
        private final boolean chunked;

        Upload(String framing, boolean chunked) {
            this.framing = framing;
            this.chunked = chunked;
        }

        record Result(Answer answer, Duration answeredAfter, long sentWhenAnswered, long heapGrowth,
                long heapPeakGrowth, long directGrowth) {
        }

        Result run() throws Exception {
            MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
            System.gc();
            long heapBefore = memory.getHeapMemoryUsage().getUsed();
            long directBefore = PlatformDependent.usedDirectMemory();
            AtomicLong heapPeak = new AtomicLong(heapBefore);
            AtomicBoolean sampling = new AtomicBoolean(true);
            Thread sampler = new Thread(() -> {
                while (sampling.get()) {
                    heapPeak.accumulateAndGet(memory.getHeapMemoryUsage().getUsed(), Math::max);
                    try {
                        Thread.sleep(2);
                    } catch (InterruptedException stop) {
                        return;
                    }
                }
            }, "heap-sampler");
            sampler.setDaemon(true);

            AtomicLong sent = new AtomicLong();
            AtomicLong sentWhenAnswered = new AtomicLong(-1);
            long start;
            Answer response;
            try (Http.Connection connection = gateway.http().timeout(Duration.ofSeconds(15)).open()) {
                sampler.start();
                start = System.nanoTime();
                CompletableFuture<Answer> answer = Http.inBackground(() -> connection.readAnswer(
                        () -> sentWhenAnswered.compareAndSet(-1, sent.get())));
                connection.write("POST /wx/login HTTP/1.1\r\nHost: 127.0.0.1:" + gateway.port()
                        + "\r\nContent-Type: application/json\r\n" + framing + "\r\n\r\n");
                byte[] filler = new byte[CHUNK];
                Arrays.fill(filler, (byte) 'x');
                byte[] opening = "{\"code\":\"abc\",\"pad\":\"".getBytes(StandardCharsets.US_ASCII);
                System.arraycopy(opening, 0, filler, 0, opening.length);
                byte[] chunkHead = (Integer.toHexString(CHUNK) + "\r\n").getBytes(StandardCharsets.US_ASCII);
                byte[] crlf = "\r\n".getBytes(StandardCharsets.US_ASCII);
                try {
                    while (sent.get() < FIFTY_MB && !answer.isDone()) {
                        if (chunked) {
                            connection.write(chunkHead);
                        }
                        connection.write(filler);
                        if (chunked) {
                            connection.write(crlf);
                        }
                        sent.addAndGet(CHUNK);
                        Arrays.fill(filler, 0, opening.length, (byte) 'x');
                        try {
                            answer.get(PACING_MILLIS, TimeUnit.MILLISECONDS); // pacing, and a prompt stop once answered
                        } catch (TimeoutException notYet) {
                            // keep uploading
                        }
                    }
                } catch (IOException stoppedReading) {
                    // the server closed the connection: its answer is what counts
                }
                try {
                    response = answer.get(15, TimeUnit.SECONDS);
                } catch (ExecutionException failed) {
                    throw new AssertionError("no answer to the upload after " + sent.get() + " bytes", failed);
                }
            } finally {
                sampling.set(false);
            }
            Duration answeredAfter = Duration.ofNanos(System.nanoTime() - start);
            sampler.join(1000);
            System.gc();
            long heapAfter = memory.getHeapMemoryUsage().getUsed();
            long directAfter = PlatformDependent.usedDirectMemory();
            return new Result(response, answeredAfter, sentWhenAnswered.get(), heapAfter - heapBefore,
                    heapPeak.get() - heapBefore, directAfter - directBefore);
        }
    }
}
