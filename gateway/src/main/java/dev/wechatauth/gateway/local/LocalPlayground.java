package dev.wechatauth.gateway.local;

import java.net.URI;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.boot.web.server.context.WebServerInitializedEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Profile;
import org.springframework.core.io.ClassPathResource;
import org.springframework.http.CacheControl;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;

/**
 * The playground of the {@code local} profile, and only of it: a page at {@code /playground/} that logs a simulated
 * user in through the client library ({@code wechat-auth.js}, served beside it) and shows each request beside what the
 * backend received. {@code POST /playground/sandbox/encrypt?code=…} gives it encryptedData for the user of that login
 * code, made by the WeChat sandbox.
 */
@Configuration(proxyBeanMethods = false)
@Profile(LocalProfileEnvironmentPostProcessor.PROFILE)
public class LocalPlayground {

    static final String PATH = "/playground/";

    private static final Log log = LogFactory.getLog(LocalPlayground.class);

    @Bean
    RouterFunction<ServerResponse> playgroundRoutes(LocalWechatSandbox sandbox) {
        ClassPathResource page = new ClassPathResource("playground/index.html");
        return RouterFunctions.route()
                .GET("/playground", request -> ServerResponse.permanentRedirect(URI.create(PATH)).build())
                .GET(PATH, request -> ServerResponse.ok().contentType(MediaType.TEXT_HTML)
                        .cacheControl(CacheControl.noCache()).bodyValue(page))
                .POST(PATH + "sandbox/encrypt", request -> request.bodyToMono(String.class).defaultIfEmpty("")
                        .flatMap(body -> ServerResponse.ok().contentType(MediaType.APPLICATION_JSON)
                                .bodyValue(sandbox.encrypt(LocalWechatSandbox.openid(
                                        request.queryParam("code").orElse("")), body))))
                .add(RouterFunctions.resources(PATH + "**", new ClassPathResource("playground/")))
                .build();
    }

    /** Says where the playground is, once the public port is known. */
    @Bean
    ApplicationListener<WebServerInitializedEvent> playgroundAddress() {
        return started -> {
            if (started.getApplicationContext().getServerNamespace() == null) {
                log.warn("LOCAL PROFILE playground: http://localhost:" + started.getWebServer().getPort() + PATH);
            }
        };
    }
}
