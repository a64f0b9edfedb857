package dev.wechatauth.gateway.faults;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;

/**
 * A service behind the gateway that can go bad and get well again while traffic runs, whatever the path: it
 * {@linkplain Mode#ANSWER answers} 200 {@code {"path":…}}, {@linkplain Mode#HANG never answers} (the connection
 * stays open), or {@linkplain Mode#RESET resets} each connection (SO_LINGER 0) as soon as a request arrives. The mode
 * in force when a request arrives decides its fate. Unlike the echo's {@code /__hang/} paths, the fault is the
 * service's, not the request's: the same requests fail during it and succeed after.
 */
final class FaultyDownstream implements AutoCloseable {

    enum Mode { ANSWER, HANG, RESET }

    private final AtomicReference<Mode> mode = new AtomicReference<>(Mode.ANSWER);
    private final Set<Channel> connections = ConcurrentHashMap.newKeySet();
    private final DisposableServer server;

    FaultyDownstream() {
        this.server = HttpServer.create()
                .host("127.0.0.1")
                .port(0)
                .doOnChannelInit((observer, channel, remoteAddress) -> {
                    connections.add(channel);
                    channel.closeFuture().addListener(done -> connections.remove(channel));
                })
                .handle(this::handle)
                .bindNow();
    }

    String baseUrl() {
        return "http://127.0.0.1:" + server.port();
    }

    void mode(Mode next) {
        mode.set(next);
    }

    private Mono<Void> handle(HttpServerRequest request, HttpServerResponse response) {
        return switch (mode.get()) {
            case HANG -> Mono.never();
            case RESET -> {
                response.withConnection(connection -> {
                    connection.channel().config().setOption(ChannelOption.SO_LINGER, 0);
                    connection.channel().close();
                });
                yield Mono.never();
            }
            case ANSWER -> request.receive().then(response.status(200)
                    .header("Content-Type", "application/json")
                    .sendString(Mono.just("{\"path\":\"" + request.path() + "\"}"))
                    .then());
        };
    }

    @Override
    public void close() {
        connections.forEach(Channel::close);
        server.disposeNow();
    }
}
