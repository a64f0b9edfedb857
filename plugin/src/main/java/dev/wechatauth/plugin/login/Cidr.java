package dev.wechatauth.plugin.login;

import java.net.InetAddress;

/** An IPv4 or IPv6 address block such as {@code 10.0.0.0/8} or {@code fd00::/8}; a bare address is a block of one. */
public record Cidr(byte[] network, int prefixLength) {

    /** Parses {@code text}; a malformed block is an {@link IllegalArgumentException} that quotes it. */
    public static Cidr parse(String text) {
        String trimmed = text.strip();
        int slash = trimmed.indexOf('/');
        InetAddress address = ClientAddress.parse(slash < 0 ? trimmed : trimmed.substring(0, slash));
        if (address == null) {
            throw invalid(text);
        }
        byte[] bytes = address.getAddress();
        int prefix;
        try {
            prefix = slash < 0 ? bytes.length * 8 : Integer.parseInt(trimmed.substring(slash + 1));
        } catch (NumberFormatException malformed) {
            throw invalid(text);
        }
        if (prefix < 0 || prefix > bytes.length * 8) {
            throw invalid(text);
        }
        return new Cidr(bytes, prefix);
    }

    private static IllegalArgumentException invalid(String text) {
        return new IllegalArgumentException("'" + text + "' is not an address block such as 10.0.0.0/8 or fd00::/8");
    }

    /** Whether {@code address} is inside this block (an IPv4 address is never inside an IPv6 block, nor the reverse). */
    public boolean contains(InetAddress address) {
        byte[] candidate = address.getAddress();
        if (candidate.length != network.length) {
            return false;
        }
        int fullBytes = prefixLength / 8;
        for (int i = 0; i < fullBytes; i++) {
            if (candidate[i] != network[i]) {
                return false;
            }
        }
        int remainingBits = prefixLength % 8;
        if (remainingBits == 0) {
            return true;
        }
        int mask = (0xFF << (8 - remainingBits)) & 0xFF;
        return (candidate[fullBytes] & mask) == (network[fullBytes] & mask);
    }
}
