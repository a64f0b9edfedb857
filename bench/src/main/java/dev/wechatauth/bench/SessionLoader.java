package dev.wechatauth.bench;

import java.io.BufferedOutputStream;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Base64;

/**
 * Writes sessions straight into Redis, in the gateway's stored format, for {@code bench/scale}: a million in seconds,
 * where logging them in would take the benchmark's whole time. It prints the Redis protocol (RESP) on its standard
 * output for {@code redis-cli --pipe}, and appends each session's bearer token, one a line, to a file.
 * <p>
 * Per session, what a login writes (the gateway's {@code RedisSessionStore} and its {@code INDEX} script):
 * <pre>
 * SET     {ns}:session:{base64url(sha256(token))}  {"openid":…,"unionid":…,"appid":…,"sessionKey":…,"createdAt":…,
 *                                                  "endsAt":…,"lastUsedAt":…,"userAgent":…}  PX {ttl}
 * HSET    {ns}:user:{appid}:{openid}  logins 1  session_key {sessionKey}  s:{hash} {createdAt}:1
 * PEXPIRE {ns}:user:{appid}:{openid}  {ttl + 2 index intervals}
 * </pre>
 * one user per session, as a mini-program's users mostly are. Session {@code i} is the same on every run with the
 * same seed: its token is 32 bytes of SHA-256 over the seed and {@code i}, base64url (43 characters, the shape of
 * the gateway's tokens); its openid and unionid are 28 characters, its session_key 24 (16 bytes, base64), as
 * WeChat's; its User-Agent that of WeChat on an iPhone (131 characters).
 *
 * <pre>
 * java -cp … dev.wechatauth.bench.SessionLoader --first 0 --count 1000 --tokens FILE [--samples FILE] [--appid ID]
 *      [--namespace NS] [--seed N] | redis-cli -p PORT --pipe
 * </pre>
 * {@code --samples} receives {@code index token openid}, one a line, for about twenty sessions spread over the range,
 * to check through the gateway.
 */
public final class SessionLoader {

    /** WeChat 8 on iOS 17, as a mini-program's requests carry it. */
    static final String USER_AGENT = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15"
            + " (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.49";
    /** The gateway's defaults: {@code session.ttl} 7d, {@code session.max-lifetime} 30d. */
    static final Duration TTL = Duration.ofDays(7);
    static final Duration MAX_LIFETIME = Duration.ofDays(30);
    /** The user index lives the TTL plus two index intervals (a tenth of the TTL, at most an hour). */
    static final Duration INDEX_TTL = TTL.plus(Duration.ofHours(2));

    private static final Base64.Encoder BASE64URL = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Encoder BASE64 = Base64.getEncoder();

    private final String namespace;
    private final String appid;
    private final long seed;
    private final long nowSeconds;
    private final MessageDigest sha256;

    /** One session as it is stored, and its token. */
    record Loaded(String token, String hash, String openid, String sessionKey, String record, String userKey,
            String indexValue) {
    }

    SessionLoader(String namespace, String appid, long seed, long nowSeconds) {
        this.namespace = namespace;
        this.appid = appid;
        this.seed = seed;
        this.nowSeconds = nowSeconds;
        try {
            this.sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException impossible) {
            throw new IllegalStateException("every Java platform has SHA-256", impossible);
        }
    }

    /** Session {@code index}. */
    Loaded session(long index) {
        String token = BASE64URL.encodeToString(digest("token:" + seed + ":" + index));
        String hash = BASE64URL.encodeToString(digest(token));
        String openid = "o" + BASE64URL.encodeToString(digest("openid:" + seed + ":" + index)).substring(0, 27);
        String unionid = "o" + BASE64URL.encodeToString(digest("unionid:" + seed + ":" + index)).substring(0, 27);
        byte[] keyBytes = new byte[16];
        System.arraycopy(digest("session_key:" + seed + ":" + index), 0, keyBytes, 0, 16);
        String sessionKey = BASE64.encodeToString(keyBytes);
        // the field order of the gateway's Session record, as Jackson writes it
        String record = "{\"openid\":\"" + openid + "\",\"unionid\":\"" + unionid + "\",\"appid\":\"" + appid
                + "\",\"sessionKey\":\"" + sessionKey + "\",\"createdAt\":" + nowSeconds + ",\"endsAt\":"
                + (nowSeconds + MAX_LIFETIME.toSeconds()) + ",\"lastUsedAt\":" + nowSeconds + ",\"userAgent\":\""
                + USER_AGENT + "\"}";
        return new Loaded(token, hash, openid, sessionKey, record, namespace + ":user:" + appid + ":" + openid,
                nowSeconds + ":1");
    }

    /** The commands that store {@code session}, in RESP. */
    static void write(Loaded session, String namespace, Resp out) throws IOException {
        out.command("SET", namespace + ":session:" + session.hash(), session.record(), "PX",
                Long.toString(TTL.toMillis()));
        out.command("HSET", session.userKey(), "logins", "1", "session_key", session.sessionKey(),
                "s:" + session.hash(), session.indexValue());
        out.command("PEXPIRE", session.userKey(), Long.toString(INDEX_TTL.toMillis()));
    }

    private byte[] digest(String text) {
        return sha256.digest(text.getBytes(StandardCharsets.US_ASCII));
    }

    /** Redis commands in the protocol's wire form (arrays of bulk strings), all ASCII. */
    static final class Resp {

        private final OutputStream out;

        Resp(OutputStream out) {
            this.out = out;
        }

        void command(String... args) throws IOException {
            StringBuilder line = new StringBuilder(64 * args.length);
            line.append('*').append(args.length).append("\r\n");
            for (String arg : args) {
                line.append('$').append(arg.length()).append("\r\n").append(arg).append("\r\n");
            }
            out.write(line.toString().getBytes(StandardCharsets.US_ASCII));
        }
    }

    public static void main(String[] args) throws IOException {
        long first = 0;
        long count = -1;
        Path tokens = null;
        Path samples = null;
        String namespace = "wechat-auth";
        String appid = "wx5f2e8c1a9b3d7e60";
        long seed = 1;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--first" -> first = Long.parseLong(args[i + 1]);
                case "--count" -> count = Long.parseLong(args[i + 1]);
                case "--tokens" -> tokens = Path.of(args[i + 1]);
                case "--samples" -> samples = Path.of(args[i + 1]);
                case "--namespace" -> namespace = args[i + 1];
                case "--appid" -> appid = args[i + 1];
                case "--seed" -> seed = Long.parseLong(args[i + 1]);
                default -> count = -1;
            }
        }
        if (count < 0 || first < 0 || tokens == null || args.length % 2 != 0) {
            System.err.println("usage: SessionLoader --first N --count N --tokens FILE [--samples FILE] [--appid ID]"
                    + " [--namespace NS] [--seed N]");
            System.exit(2);
        }
        SessionLoader loader = new SessionLoader(namespace, appid, seed, System.currentTimeMillis() / 1000);
        long every = Math.max(1, count / 20);
        OutputStream stdout = new BufferedOutputStream(System.out, 1 << 20);
        Resp resp = new Resp(stdout);
        try (BufferedWriter tokenFile = Files.newBufferedWriter(tokens, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
                BufferedWriter sampleFile = samples == null ? null : Files.newBufferedWriter(samples,
                        StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
            for (long i = first; i < first + count; i++) {
                Loaded session = loader.session(i);
                write(session, namespace, resp);
                tokenFile.write(session.token());
                tokenFile.newLine();
                if (sampleFile != null && ((i - first) % every == 0 || i == first + count - 1)) {
                    sampleFile.write(i + " " + session.token() + " " + session.openid());
                    sampleFile.newLine();
                }
            }
        }
        stdout.flush();
    }
}
