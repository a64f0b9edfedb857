package dev.wechatauth.plugin.exchange;

import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpRequestDecorator;
import reactor.core.publisher.Flux;

/** A request body as read: its bytes, to forward unchanged, and what they say. */
public record ReadBody<T>(byte[] bytes, T value) {

    /** {@code request} with these bytes as its body, in place of the one already consumed. */
    public ServerHttpRequest replay(ServerHttpRequest request) {
        return new ServerHttpRequestDecorator(request) {
            @Override
            public Flux<DataBuffer> getBody() {
                return Flux.defer(() -> Flux.just(DefaultDataBufferFactory.sharedInstance.wrap(bytes)));
            }
        };
    }

    @Override
    public String toString() {
        return "ReadBody[" + bytes.length + " bytes, " + value + "]";
    }
}
