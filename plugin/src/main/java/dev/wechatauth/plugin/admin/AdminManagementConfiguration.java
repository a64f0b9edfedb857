package dev.wechatauth.plugin.admin;

import dev.wechatauth.plugin.config.WechatAuthSettings;
import dev.wechatauth.plugin.exchange.BodyReader;
import dev.wechatauth.plugin.session.SessionStore;
import org.springframework.boot.actuate.autoconfigure.web.ManagementContextConfiguration;
import org.springframework.boot.actuate.autoconfigure.web.ManagementContextType;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.context.annotation.Bean;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;

/**
 * The {@link AdminApi} on the management port, and only there: a configuration of the management server's own
 * (child) context, which exists only when {@code management.server.port} is a port of its own (not {@code -1}, not
 * the public port). Without {@code wechat.auth.admin.token} nothing is mapped and every admin path is 404.
 */
@ManagementContextConfiguration(value = ManagementContextType.CHILD, proxyBeanMethods = false)
@ConditionalOnBean({SessionStore.class, WechatAuthSettings.class})
public class AdminManagementConfiguration {

    /** The largest block body read: {@code {"seconds":315360000}} is 22 bytes. */
    private static final int MAX_BODY_BYTES = 1024;

    @Bean
    RouterFunction<ServerResponse> wechatAuthAdminApi(SessionStore sessions, WechatAuthSettings settings) {
        String token = settings.adminToken();
        if (token == null) {
            return request -> Mono.empty(); // maps nothing: every admin path is the management port's 404
        }
        return new AdminApi(sessions, settings.miniPrograms(), new AdminToken(token), new BodyReader(MAX_BODY_BYTES))
                .routes();
    }
}
