package dev.wechatauth.gateway.rig;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.wechatauth.testkit.Resp;

/** Looking at what the gateway stored in Redis the way an operator would: raw commands over {@link Resp}. */
public final class RedisView {

    /** The default namespace of every key the gateway writes. */
    public static final String NAMESPACE = "wechat-auth";

    private static final Pattern WAIT_CALLS = Pattern.compile("cmdstat_wait:calls=(\\d+)");

    private RedisView() {
    }

    /** Every key of the Redis on {@code port}. */
    @SuppressWarnings("unchecked")
    public static List<String> keys(int port) {
        return (List<String>) Resp.command(port, "KEYS", "*");
    }

    /** The key's time to live in milliseconds ({@code PTTL}). */
    public static long pttl(int port, String key) {
        return (Long) Resp.command(port, "PTTL", key);
    }

    /** The key and every value it holds, as text, whatever its type. */
    public static String dump(int port, String key) {
        try (Resp redis = Resp.connect(port)) {
            return dump(redis, key);
        }
    }

    /** Every key with its values ({@link #dump}), over one connection. */
    public static List<String> dumpAll(int port) {
        try (Resp redis = Resp.connect(port)) {
            List<String> dumps = new ArrayList<>();
            for (Object key : (List<?>) redis.call("KEYS", "*")) {
                dumps.add(dump(redis, (String) key));
            }
            return dumps;
        }
    }

    private static String dump(Resp redis, String key) {
        Object value = switch ((String) redis.call("TYPE", key)) {
            case "string" -> redis.call("GET", key);
            case "hash" -> redis.call("HGETALL", key);
            case "list" -> redis.call("LRANGE", key, "0", "-1");
            case "set" -> redis.call("SMEMBERS", key);
            case "zset" -> redis.call("ZRANGE", key, "0", "-1", "WITHSCORES");
            case "none" -> "(gone)";
            default -> "(a " + redis.call("TYPE", key) + ")";
        };
        return key + " => " + value;
    }

    /**
     * The key of the session a token names: {@code {ns}:session:{h}} with {@code h = base64url(SHA-256(token))}, no
     * padding (computed here, independently of the gateway's code; the tests check that the key exists).
     */
    public static String sessionKey(String token) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.US_ASCII));
            return NAMESPACE + ":session:" + Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
        } catch (NoSuchAlgorithmException impossible) {
            throw new IllegalStateException(impossible);
        }
    }

    /** How many {@code WAIT} commands the Redis on {@code port} has run ({@code INFO commandstats}). */
    public static long waitCalls(int port) {
        Matcher calls = WAIT_CALLS.matcher(Resp.string(port, "INFO", "commandstats"));
        return calls.find() ? Long.parseLong(calls.group(1)) : 0;
    }

    /** {@code GET key} on that node; on a Cluster replica after {@code READONLY}, so that it answers, not redirects. */
    public static String get(int port, String key, boolean clusterReplica) {
        try (Resp resp = Resp.connect(port)) {
            if (clusterReplica) {
                resp.call("READONLY");
            }
            return (String) resp.call("GET", key);
        }
    }
}
