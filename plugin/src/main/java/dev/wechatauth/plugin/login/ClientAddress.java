package dev.wechatauth.plugin.login;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;

import io.netty.util.NetUtil;
import org.springframework.http.server.reactive.ServerHttpRequest;

/**
 * Finds the address of the client behind a request: the peer's, unless the peer is a trusted proxy, in which case
 * the right-most {@code X-Forwarded-For} hop that is not itself a trusted proxy. A client can write anything into
 * {@code X-Forwarded-For}, so only hops appended by trusted proxies are believed.
 */
public class ClientAddress {

    private static final String FORWARDED_FOR = "X-Forwarded-For";

    private final List<Cidr> trustedProxies;

    public ClientAddress(List<Cidr> trustedProxies) {
        this.trustedProxies = List.copyOf(trustedProxies);
    }

    /** The client's address as text, or {@code "unknown"} when the server does not know the peer. */
    public String of(ServerHttpRequest request) {
        InetSocketAddress remote = request.getRemoteAddress();
        InetAddress peer = remote == null ? null : remote.getAddress();
        if (peer == null) {
            return "unknown";
        }
        if (!isTrusted(peer)) {
            return peer.getHostAddress();
        }
        List<String> headers = request.getHeaders().get(FORWARDED_FOR);
        if (headers == null) {
            return peer.getHostAddress();
        }
        InetAddress client = peer;
        for (int h = headers.size() - 1; h >= 0; h--) {
            String[] hops = headers.get(h).split(",");
            for (int i = hops.length - 1; i >= 0; i--) {
                InetAddress hop = parse(hops[i].strip());
                if (hop == null) {
                    return client.getHostAddress();
                }
                client = hop;
                if (!isTrusted(hop)) {
                    return hop.getHostAddress();
                }
            }
        }
        return client.getHostAddress();
    }

    private boolean isTrusted(InetAddress address) {
        for (Cidr cidr : trustedProxies) {
            if (cidr.contains(address)) {
                return true;
            }
        }
        return false;
    }

    /** An IP literal, never a DNS lookup; {@code null} when {@code text} is not one. */
    static InetAddress parse(String text) {
        String literal = text.startsWith("[") && text.endsWith("]") ? text.substring(1, text.length() - 1) : text;
        return NetUtil.createInetAddressFromIpAddressString(literal);
    }
}
