package dev.wechatauth.plugin.exchange;

import java.util.function.Function;

import dev.wechatauth.plugin.error.GatewayError;
import dev.wechatauth.plugin.error.GatewayErrorException;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.InvalidMediaTypeException;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpRequest;
import reactor.core.publisher.Mono;

/**
 * Reads the body of a request the gateway exchanges (a login): JSON ({@code application/json} or
 * {@code application/*+json}) or a form only (anything else, or no {@code Content-Type}, is 415), at most
 * {@code maxBytes} (a larger declared length is refused before reading; a larger stream stops being read at the
 * limit: 413), then parsed by the route's own parser of each format, which throws a {@link GatewayErrorException}
 * for a body that says nothing usable. An empty body is parsed like any other.
 */
public class BodyReader {

    private static final byte[] EMPTY = new byte[0];

    private final int maxBytes;

    public BodyReader(int maxBytes) {
        this.maxBytes = maxBytes;
    }

    public <T> Mono<ReadBody<T>> read(ServerHttpRequest request, Function<byte[], T> fromJson,
            Function<byte[], T> fromForm) {
        MediaType type;
        try {
            type = request.getHeaders().getContentType();
        } catch (InvalidMediaTypeException unreadable) {
            type = null;
        }
        boolean json = type != null && (MediaType.APPLICATION_JSON.equalsTypeAndSubtype(type)
                || (type.getType().equals("application") && type.getSubtype().endsWith("+json")));
        boolean form = type != null && MediaType.APPLICATION_FORM_URLENCODED.equalsTypeAndSubtype(type);
        if (!json && !form) {
            return Mono.error(new GatewayErrorException(GatewayError.UNSUPPORTED_MEDIA_TYPE));
        }
        if (request.getHeaders().getContentLength() > maxBytes) {
            return Mono.error(new GatewayErrorException(GatewayError.BODY_TOO_LARGE));
        }
        return DataBufferUtils.join(request.getBody(), maxBytes)
                .onErrorMap(DataBufferLimitException.class,
                        tooLarge -> new GatewayErrorException(GatewayError.BODY_TOO_LARGE))
                .map(BodyReader::bytes)
                .defaultIfEmpty(EMPTY)
                .map(bytes -> new ReadBody<>(bytes, (json ? fromJson : fromForm).apply(bytes)));
    }

    private static byte[] bytes(DataBuffer buffer) {
        try {
            byte[] bytes = new byte[buffer.readableByteCount()];
            buffer.read(bytes);
            return bytes;
        } finally {
            DataBufferUtils.release(buffer);
        }
    }
}
