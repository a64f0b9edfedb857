package dev.wechatauth.testkit;

import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;

/**
 * A Reactor Netty HTTP server on 127.0.0.1 and a free port, shared by the stand-ins. It keeps track of its open
 * connections so that {@link #close()} also ends the ones a hanging reply keeps open.
 */
final class LocalHttpServer implements AutoCloseable {

    private final Set<Channel> connections = ConcurrentHashMap.newKeySet();
    private final DisposableServer server;

    LocalHttpServer(BiFunction<HttpServerRequest, HttpServerResponse, Publisher<Void>> handler) {
        this.server = HttpServer.create()
                .host("127.0.0.1")
                .port(0)
                // long URLs and headers (tokens, many forwarded headers) must reach the handler intact
                .httpRequestDecoder(spec -> spec.maxInitialLineLength(64 * 1024).maxHeaderSize(64 * 1024))
                .doOnChannelInit((observer, channel, remoteAddress) -> {
                    connections.add(channel);
                    channel.closeFuture().addListener(done -> connections.remove(channel));
                })
                .handle(handler)
                .bindNow();
    }

    /** {@code http://127.0.0.1:PORT}, no trailing slash. */
    String baseUrl() {
        return "http://127.0.0.1:" + server.port();
    }

    /**
     * Closes the request's connection at once, without an answer, with a TCP reset (SO_LINGER 0). The returned Mono
     * never completes: Reactor Netty cancels it when the connection is gone.
     */
    static Mono<Void> reset(HttpServerResponse response) {
        response.withConnection(connection -> {
            Channel channel = connection.channel();
            channel.config().setOption(ChannelOption.SO_LINGER, 0);
            channel.close();
        });
        return Mono.never();
    }

    @Override
    public void close() {
        connections.forEach(Channel::close);
        server.disposeNow();
    }
}
