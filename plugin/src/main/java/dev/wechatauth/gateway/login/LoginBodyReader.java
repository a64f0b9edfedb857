package dev.wechatauth.gateway.login;

import dev.wechatauth.gateway.error.GatewayError;
import dev.wechatauth.gateway.error.GatewayErrorException;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.InvalidMediaTypeException;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpRequest;
import reactor.core.publisher.Mono;

/**
 * Reads a login body: JSON or form only (anything else, or no {@code Content-Type}, is 415), at most
 * {@code maxBytes} (a larger declared length is refused before reading; a larger stream stops being read at the
 * limit: 413), then parsed by {@link LoginRequest}.
 */
public class LoginBodyReader {

    private final int maxBytes;

    public LoginBodyReader(int maxBytes) {
        this.maxBytes = maxBytes;
    }

    public Mono<LoginBody> read(ServerHttpRequest request) {
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
                .map(LoginBodyReader::bytes)
                .switchIfEmpty(Mono.error(() -> new GatewayErrorException(GatewayError.INVALID_LOGIN_BODY)))
                .map(bytes -> new LoginBody(bytes, json ? LoginRequest.fromJson(bytes) : LoginRequest.fromForm(bytes)));
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
