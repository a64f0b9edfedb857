package dev.wechatauth.contract;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.wechatauth.testkit.Resp;
import io.lettuce.core.cluster.SlotHash;

/** Looking at the topology's Redis processes the way an operator would, over raw RESP ({@link Resp}). */
final class TopologyRedis {

    /** The default namespace of every key the gateway writes. */
    static final String NAMESPACE = "wechat-auth";

    private static final Pattern WAIT_CALLS = Pattern.compile("cmdstat_wait:calls=(\\d+)");

    private TopologyRedis() {
    }

    /**
     * The key of the session a token names: {@code {ns}:session:{h}} with {@code h = base64url(SHA-256(token))}, no
     * padding (computed here, independently of the gateway's code; the tests check that the key exists).
     */
    static String sessionKey(String token) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.US_ASCII));
            return NAMESPACE + ":session:" + Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
        } catch (NoSuchAlgorithmException impossible) {
            throw new IllegalStateException(impossible);
        }
    }

    /** The Cluster hash slot of a token's session key. */
    static int slotOfSession(String token) {
        return SlotHash.getSlot(sessionKey(token));
    }

    /** How many {@code WAIT} commands the Redis on {@code port} has run ({@code INFO commandstats}). */
    static long waitCalls(int port) {
        Matcher calls = WAIT_CALLS.matcher(Resp.string(port, "INFO", "commandstats"));
        return calls.find() ? Long.parseLong(calls.group(1)) : 0;
    }

    /** {@code GET key} on that node; on a Cluster replica after {@code READONLY}, so that it answers, not redirects. */
    static String get(int port, String key, boolean clusterReplica) {
        try (Resp resp = Resp.connect(port)) {
            if (clusterReplica) {
                resp.call("READONLY");
            }
            return (String) resp.call("GET", key);
        }
    }

    /** One slot range of {@code CLUSTER SLOTS}: its primary's port and its replicas' ports. */
    record SlotRange(int from, int to, int primary, List<Integer> replicas) {

        boolean holds(int slot) {
            return from <= slot && slot <= to;
        }
    }

    /** {@code CLUSTER SLOTS} as seen by the node on {@code port}. */
    static List<SlotRange> clusterSlots(int port) {
        List<SlotRange> ranges = new ArrayList<>();
        for (Object entry : (List<?>) Resp.command(port, "CLUSTER", "SLOTS")) {
            List<?> range = (List<?>) entry;
            int primary = ((Long) ((List<?>) range.get(2)).get(1)).intValue();
            List<Integer> replicas = new ArrayList<>();
            for (Object replica : range.subList(3, range.size())) {
                replicas.add(((Long) ((List<?>) replica).get(1)).intValue());
            }
            ranges.add(new SlotRange(((Long) range.get(0)).intValue(), ((Long) range.get(1)).intValue(), primary,
                    replicas));
        }
        return ranges;
    }

    static SlotRange rangeOf(List<SlotRange> ranges, int slot) {
        return ranges.stream().filter(range -> range.holds(slot)).findFirst()
                .orElseThrow(() -> new IllegalStateException("no range holds slot " + slot + ": " + ranges));
    }
}
