package dev.wechatauth.contract;

import static dev.wechatauth.contract.ContractAssertions.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import io.netty.util.internal.PlatformDependent;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The threat of making the gateway hold what a client sends: a login body far over 16 KiB must be refused with 413
 * before it has been received whole (the client learns it at once and the gateway's memory does not grow by the
 * body); a body nested 10,000 deep is refused, not parsed into a stack overflow; a header over the HTTP server's limit
 * is its 431, reaches no service, and leaves the gateway serving.
 */
class AttackOversizedRequestTest {

    private static final int FIFTY_MB = 50 * 1024 * 1024;
    private static final int CHUNK = 64 * 1024;

    private static GatewayInstance gateway;
    private static Backends backends;

    @BeforeAll
    static void startGateway() {
        gateway = AttackGateway.get();
        backends = gateway.backends();
        // a fresh gateway's first login connects to Redis, and its first 413 runs cold code: keep both out of the
        // timings and the heap figures
        gateway.newToken();
        byte[] warmUp = ("{\"code\":\"abc\",\"pad\":\"" + "x".repeat(64 * 1024) + "\"}")
                .getBytes(StandardCharsets.UTF_8);
        assertError(gateway.raw("POST /wx/login HTTP/1.1", RawHttp.chunked(warmUp, 8192),
                "Content-Type: application/json", "Transfer-Encoding: chunked"), 413, "invalid_request");
    }

    @BeforeEach
    void forgetEarlierRequests() {
        backends.echo.clear();
        backends.wechat.resetCounters();
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
        assertThat(result.answeredAfter).as("time to the 413").isLessThan(Duration.ofSeconds(2));
        assertThat(result.heapGrowth).as("heap retained after the upload").isLessThan(FIFTY_MB / 5);
        assertThat(result.heapPeakGrowth).as("heap growth at its peak during the upload").isLessThan(FIFTY_MB / 2);
        assertThat(backends.wechat.calls()).as("calls to WeChat").isZero();
        assertStillServes();
    }

    @Test
    void aLoginDeclaringFiftyMegabytesIsRefusedWithoutWaitingForTheBody() throws Exception {
        Upload upload = new Upload("Content-Length: " + FIFTY_MB, false);

        Upload.Result result = upload.run();

        System.out.println("[measured] 50 MB declared login: 413 after " + result.answeredAfter.toMillis() + " ms, "
                + result.sentWhenAnswered / 1024 + " KiB sent by then");
        assertError(result.answer, 413, "invalid_request");
        assertThat(result.sentWhenAnswered).as("bytes sent when the answer arrived").isLessThan(FIFTY_MB / 2);
        assertThat(result.answeredAfter).as("time to the 413").isLessThan(Duration.ofSeconds(2));
        assertThat(backends.wechat.calls()).as("calls to WeChat").isZero();
        assertStillServes();
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
        assertStillServes();
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
        assertStillServes();
    }

    private static void assertStillServes() {
        backends.echo.clear();
        Answer answer = gateway.raw("GET " + Backends.PUBLIC + " HTTP/1.1");
        assertThat(answer.status()).as("an ordinary request afterwards: %s", answer).isEqualTo(200);
        assertThat(backends.echo.count()).isEqualTo(1);
    }

    /**
     * A 50 MB login upload at about 12 MB/s (64 KiB, then up to 5 ms waiting for the answer), stopped as soon as an
     * answer arrives; measures when it came, how much had been sent, and the heap of this JVM (the gateway's).
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
            byte[] response;
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", gateway.port()), 2000);
                socket.setSoTimeout(15_000);
                InputStream in = socket.getInputStream();
                OutputStream out = socket.getOutputStream();
                sampler.start();
                start = System.nanoTime();
                CompletableFuture<byte[]> answer = CompletableFuture.supplyAsync(
                        () -> readAnswer(in, () -> sentWhenAnswered.compareAndSet(-1, sent.get())));
                out.write(("POST /wx/login HTTP/1.1\r\nHost: 127.0.0.1:" + gateway.port()
                        + "\r\nContent-Type: application/json\r\n" + framing + "\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                byte[] filler = new byte[CHUNK];
                Arrays.fill(filler, (byte) 'x');
                byte[] opening = "{\"code\":\"abc\",\"pad\":\"".getBytes(StandardCharsets.US_ASCII);
                System.arraycopy(opening, 0, filler, 0, opening.length);
                byte[] chunkHead = (Integer.toHexString(CHUNK) + "\r\n").getBytes(StandardCharsets.US_ASCII);
                byte[] crlf = "\r\n".getBytes(StandardCharsets.US_ASCII);
                try {
                    while (sent.get() < FIFTY_MB && !answer.isDone()) {
                        if (chunked) {
                            out.write(chunkHead);
                        }
                        out.write(filler);
                        if (chunked) {
                            out.write(crlf);
                        }
                        out.flush();
                        sent.addAndGet(CHUNK);
                        Arrays.fill(filler, 0, opening.length, (byte) 'x');
                        try {
                            answer.get(5, TimeUnit.MILLISECONDS); // pacing, and a prompt stop once answered
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
            return new Result(RawHttp.parse(response), answeredAfter, sentWhenAnswered.get(), heapAfter - heapBefore,
                    heapPeak.get() - heapBefore, directAfter - directBefore);
        }

        /** Reads one answer: its head, then as much body as its Content-Length says (or to the end). */
        private static byte[] readAnswer(InputStream in, Runnable onFirstByte) {
            ByteArrayOutputStream received = new ByteArrayOutputStream();
            byte[] buffer = new byte[8192];
            try {
                int read = in.read(buffer);
                onFirstByte.run();
                while (read >= 0) {
                    received.write(buffer, 0, read);
                    String text = received.toString(StandardCharsets.ISO_8859_1);
                    int end = text.indexOf("\r\n\r\n");
                    if (end >= 0) {
                        String head = text.substring(0, end).toLowerCase();
                        int at = head.indexOf("content-length:");
                        if (at >= 0) {
                            int lineEnd = head.indexOf("\r\n", at);
                            int length = Integer.parseInt(
                                    head.substring(at + 15, lineEnd < 0 ? head.length() : lineEnd).trim());
                            if (received.size() >= end + 4 + length) {
                                break;
                            }
                        }
                    }
                    read = in.read(buffer);
                }
            } catch (IOException reset) {
                if (received.size() == 0) {
                    throw new UncheckedIOException("no answer", reset);
                }
            }
            return received.toByteArray();
        }
    }
}
