package dev.wechatauth.plugin.wechat;

import java.time.Duration;

import io.netty.channel.ChannelOption;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;

/**
 * Builds the WebClient used for WeChat: its own connection pool, no redirects, no retry (a code that reached
 * WeChat is used: a second attempt would be refused), bounded connect and read times.
 */
public final class WechatHttpClients {

    private WechatHttpClients() {
    }

    /**
     * @param timeout the longest one call may take
     * @param maxConnections the most connections open to WeChat at once
     */
    public static WebClient webClient(Duration timeout, int maxConnections) {
        ConnectionProvider pool = ConnectionProvider.builder("wechat-api")
                .maxConnections(maxConnections)
                .pendingAcquireMaxCount(maxConnections * 4)
                .pendingAcquireTimeout(timeout)
                .maxIdleTime(Duration.ofSeconds(30))
                .build();
        HttpClient http = HttpClient.create(pool)
                .followRedirect(false)
                .disableRetry(true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, timeout.toMillis()))
                .responseTimeout(timeout);
        return WebClient.builder().clientConnector(new ReactorClientHttpConnector(http)).build();
    }
}
