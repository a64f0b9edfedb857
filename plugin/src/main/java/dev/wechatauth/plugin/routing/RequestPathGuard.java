package dev.wechatauth.plugin.routing;

import dev.wechatauth.plugin.error.GatewayError;
import dev.wechatauth.plugin.error.GatewayErrorException;
import org.springframework.core.Ordered;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * Refuses, before anything else runs, a request whose raw path is not in normalized form: {@code .} or {@code ..}
 * segments, {@code //}, {@code ;}, {@code \}, control characters, or an encoded {@code /}, {@code \}, {@code .},
 * {@code %} or control character. Such paths are how route predicates and backends are made to disagree about
 * what was asked for.
 */
public class RequestPathGuard implements WebFilter, Ordered {

    @Override
    public int getOrder() {
        return GatewayOrder.PATH_GUARD;
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        String rawPath = exchange.getRequest().getURI().getRawPath();
        return isNormalized(rawPath) ? chain.filter(exchange)
                : Mono.error(new GatewayErrorException(GatewayError.INVALID_PATH));
    }

    /** Whether {@code rawPath}, as sent (still percent-encoded), is in normalized form. */
    public static boolean isNormalized(String rawPath) {
        if (rawPath == null || rawPath.isEmpty() || rawPath.charAt(0) != '/') {
            return false;
        }
        int length = rawPath.length();
        int segmentStart = 1;
        for (int i = 0; i < length; i++) {
            char c = rawPath.charAt(i);
            if (c <= 0x20 || c >= 0x7F || c == '\\' || c == ';') {
                return false;
            }
            if (c == '%' && !isHarmlessEscape(rawPath, i)) {
                return false;
            }
            if (c == '/' && i > 0) {
                if (isDotSegment(rawPath, segmentStart, i)) {
                    return false;
                }
                segmentStart = i + 1;
            }
        }
        return !isDotSegment(rawPath, segmentStart, length);
    }

    /** Whether the escape at {@code percent} is well formed and decodes to nothing that could change the path. */
    private static boolean isHarmlessEscape(String path, int percent) {
        if (percent + 2 >= path.length()) {
            return false;
        }
        int high = Character.digit(path.charAt(percent + 1), 16);
        int low = Character.digit(path.charAt(percent + 2), 16);
        if (high < 0 || low < 0) {
            return false;
        }
        int decoded = high * 16 + low;
        return decoded >= 0x20 && decoded != 0x7F && decoded != '/' && decoded != '\\' && decoded != '.'
                && decoded != '%' && decoded != ';';
    }

    /** Whether {@code path[start, end)} is empty (from {@code //}), {@code .} or {@code ..}. */
    private static boolean isDotSegment(String path, int start, int end) {
        int length = end - start;
        if (length == 0) {
            return end != path.length();
        }
        return (length == 1 && path.charAt(start) == '.') || (length == 2 && path.charAt(start) == '.'
                && path.charAt(start + 1) == '.');
    }
}
