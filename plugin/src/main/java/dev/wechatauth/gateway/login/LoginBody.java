package dev.wechatauth.gateway.login;

import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpRequestDecorator;
import reactor.core.publisher.Flux;

/** A login body as read: its bytes, to forward unchanged, and what they say. */
record LoginBody(byte[] bytes, LoginRequest request) {

    /** {@code request} with this body in place of the one already consumed. */
    ServerHttpRequest replay(ServerHttpRequest request) {
        return new ServerHttpRequestDecorator(request) {
            @Override
            public Flux<DataBuffer> getBody() {
                return Flux.defer(() -> Flux.just(DefaultDataBufferFactory.sharedInstance.wrap(bytes)));
            }
        };
    }

    @Override
    public String toString() {
        return "LoginBody[" + bytes.length + " bytes]";
    }
}
