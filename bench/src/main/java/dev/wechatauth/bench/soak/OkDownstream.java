package dev.wechatauth.bench.soak;

import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

/** The soak's downstream service: answers every request {@code 200 ok} at once, on 127.0.0.1 and a free port. */
final class OkDownstream implements AutoCloseable {

    private final DisposableServer server = HttpServer.create().host("127.0.0.1").port(0)
            .handle((request, response) -> response.header("Content-Type", "text/plain").sendString(
                    reactor.core.publisher.Mono.just("ok\n")))
            .bindNow();

    /** {@code http://127.0.0.1:PORT}. */
    String baseUrl() {
        return "http://127.0.0.1:" + server.port();
    }

    @Override
    public void close() {
        server.disposeNow();
    }
}
