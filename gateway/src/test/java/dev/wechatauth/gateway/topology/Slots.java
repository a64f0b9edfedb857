package dev.wechatauth.gateway.topology;

import java.util.ArrayList;
import java.util.List;

import dev.wechatauth.gateway.rig.RedisView;
import dev.wechatauth.testkit.Resp;
import io.lettuce.core.cluster.SlotHash;

/** The hash slots of a Redis Cluster as an operator sees them: {@code CLUSTER SLOTS} over raw RESP ({@link Resp}). */
final class Slots {

    private Slots() {
    }

    /** One slot range of {@code CLUSTER SLOTS}: its primary's port and its replicas' ports. */
    record SlotRange(int from, int to, int primary, List<Integer> replicas) {

        boolean holds(int slot) {
            return from <= slot && slot <= to;
        }
    }

    /** The Cluster hash slot of a token's session key. */
    static int ofSession(String token) {
        return SlotHash.getSlot(RedisView.sessionKey(token));
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
