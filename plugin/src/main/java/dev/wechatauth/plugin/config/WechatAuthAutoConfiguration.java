package dev.wechatauth.plugin.config;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;

import dev.wechatauth.plugin.endpoints.SessionEndpoints;
import dev.wechatauth.plugin.error.ErrorResponseWriter;
import dev.wechatauth.plugin.error.JsonErrorWebExceptionHandler;
import dev.wechatauth.plugin.exchange.BodyReader;
import dev.wechatauth.plugin.identity.IdentityForwarding;
import dev.wechatauth.plugin.logging.SecretLogGuardRegistration;
import dev.wechatauth.plugin.login.AppSelector;
import dev.wechatauth.plugin.login.ClientAddress;
import dev.wechatauth.plugin.login.DuplicateLoginWindow;
import dev.wechatauth.plugin.login.LoginRateLimiter;
import dev.wechatauth.plugin.login.LoginRoute;
import dev.wechatauth.plugin.login.LoginService;
import dev.wechatauth.plugin.routing.RequestPathGuard;
import dev.wechatauth.plugin.routing.RoutePolicy;
import dev.wechatauth.plugin.routing.RoutePolicyFilter;
import dev.wechatauth.plugin.session.CachedSessionStore;
import dev.wechatauth.plugin.session.RedisSessionStore;
import dev.wechatauth.plugin.session.ReplicatedSessionWriter;
import dev.wechatauth.plugin.session.SessionInvalidations;
import dev.wechatauth.plugin.session.SessionStore;
import dev.wechatauth.plugin.session.SessionWriter;
import dev.wechatauth.plugin.session.Tokens;
import dev.wechatauth.plugin.wechat.MiniPrograms;
import dev.wechatauth.plugin.wechat.WechatCallGuard;
import dev.wechatauth.plugin.wechat.WechatClient;
import dev.wechatauth.plugin.wechat.WechatHttpClients;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnExpression;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.data.redis.autoconfigure.DataRedisReactiveAutoConfiguration;
import org.springframework.boot.webflux.autoconfigure.error.ErrorWebFluxAutoConfiguration;
import org.springframework.cloud.gateway.config.GatewayAutoConfiguration;
import org.springframework.cloud.gateway.filter.GlobalFilter;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.data.redis.connection.ReactiveRedisConnectionFactory;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;

/**
 * Turns the plugin on in any Spring Cloud Gateway (WebFlux) application: login, sessions in reactive Redis,
 * identity headers, the built-in endpoints and JSON errors. Every bean backs off when the application defines its
 * own; {@code wechat.auth.enabled=false} turns all of it off.
 */
@AutoConfiguration(before = {GatewayAutoConfiguration.class, ErrorWebFluxAutoConfiguration.class},
        after = DataRedisReactiveAutoConfiguration.class)
@ConditionalOnClass(GlobalFilter.class)
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.REACTIVE)
@ConditionalOnProperty(prefix = "wechat.auth", name = "enabled", havingValue = "true", matchIfMissing = true)
@EnableConfigurationProperties(WechatAuthProperties.class)
@Import(RedisClientTuning.class)
public class WechatAuthAutoConfiguration {

    /** The most connections open to WeChat at once. */
    private static final int WECHAT_MAX_CONNECTIONS = 500;
    /** The largest code2Session answer read; WeChat's are under 200 bytes. */
    private static final int WECHAT_MAX_REPLY_BYTES = 64 * 1024;
    /** How much longer than a WeChat call a duplicate waits for the first copy's outcome. */
    private static final Duration DUPLICATE_WAIT_MARGIN = Duration.ofSeconds(2);

    @Bean
    @ConditionalOnMissingBean
    WechatAuthSettings wechatAuthSettings(WechatAuthProperties properties) {
        return new WechatAuthSettings(properties);
    }

    @Bean
    @ConditionalOnMissingBean
    MiniPrograms wechatMiniPrograms(WechatAuthSettings settings) {
        return settings.miniPrograms();
    }

    @Bean
    @ConditionalOnMissingBean
    JsonErrorWebExceptionHandler wechatAuthErrorWebExceptionHandler() {
        return new JsonErrorWebExceptionHandler(new ErrorResponseWriter());
    }

    @Bean
    @ConditionalOnMissingBean
    WechatClient wechatClient(WechatAuthSettings settings) {
        WechatAuthProperties properties = settings.properties();
        return new WechatClient(WechatHttpClients.webClient(properties.timeout(), WECHAT_MAX_CONNECTIONS),
                properties.apiBaseUrl(), properties.timeout(), WECHAT_MAX_REPLY_BYTES);
    }

    @Bean
    @ConditionalOnMissingBean
    Tokens wechatAuthTokens() {
        return new Tokens();
    }

    @Bean
    @ConditionalOnMissingBean
    SessionWriter wechatAuthSessionWriter(ReactiveStringRedisTemplate redis, WechatAuthSettings settings) {
        WechatAuthProperties.Session session = settings.properties().session();
        ReactiveRedisConnectionFactory connections = redis.getConnectionFactory();
        LettuceConnectionFactory lettuce = connections instanceof LettuceConnectionFactory factory ? factory : null;
        boolean replicated = lettuce != null
                && (lettuce.getSentinelConfiguration() != null || lettuce.getClusterConfiguration() != null);
        int replicas = session.replicaAcks() != null ? session.replicaAcks() : replicated ? 1 : 0;
        if (replicas > 0 && lettuce != null) {
            return new ReplicatedSessionWriter(lettuce.getRequiredNativeClient(), replicas, session.replicaAckTimeout());
        }
        return SessionWriter.of(redis);
    }

    /** Without the local cache ({@code wechat.auth.session.cache-size=0}): every lookup is a Redis round trip. */
    @Bean
    @ConditionalOnMissingBean(SessionStore.class)
    SessionStore wechatAuthSessionStore(ReactiveStringRedisTemplate redis, Tokens tokens, SessionWriter writer,
            WechatAuthSettings settings) {
        return redisSessionStore(redis, tokens, writer, settings.properties().session());
    }

    static RedisSessionStore redisSessionStore(ReactiveStringRedisTemplate redis, Tokens tokens, SessionWriter writer,
            WechatAuthProperties.Session session) {
        return new RedisSessionStore(redis, tokens, writer, session.namespace(), session.ttl(), Clock.systemUTC());
    }

    @Bean
    @ConditionalOnMissingBean
    WechatCallGuard wechatCallGuard(WechatAuthSettings settings) {
        WechatAuthProperties.CircuitBreaker breaker = settings.properties().circuitBreaker();
        return new WechatCallGuard(breaker.failureRate(), breaker.window(), breaker.minimumCalls(), breaker.openFor(),
                breaker.trialCalls(), settings.properties().login().maxInFlight());
    }

    @Bean
    @ConditionalOnMissingBean
    DuplicateLoginWindow wechatDuplicateLoginWindow(ReactiveStringRedisTemplate redis, SessionStore sessions,
            WechatAuthSettings settings) {
        WechatAuthProperties properties = settings.properties();
        return new DuplicateLoginWindow(redis, sessions, properties.session().namespace(),
                properties.login().duplicateWindow(), properties.timeout().plus(DUPLICATE_WAIT_MARGIN));
    }

    @Bean
    @ConditionalOnMissingBean
    LoginService wechatLoginService(WechatClient wechat, WechatCallGuard guard, SessionStore sessions,
            DuplicateLoginWindow duplicates) {
        return new LoginService(wechat, guard, sessions, duplicates);
    }

    @Bean
    @ConditionalOnMissingBean
    LoginRoute wechatLoginRoute(WechatAuthSettings settings, ReactiveStringRedisTemplate redis, MiniPrograms apps,
            LoginService logins) {
        WechatAuthProperties properties = settings.properties();
        return new LoginRoute(new ClientAddress(settings.trustedProxies()),
                new LoginRateLimiter(redis, properties.session().namespace(), properties.loginLimit().requests(),
                        properties.loginLimit().period()),
                new BodyReader((int) properties.login().maxBodySize().toBytes()),
                new AppSelector(apps), logins);
    }

    @Bean
    @ConditionalOnMissingBean
    IdentityForwarding wechatIdentityForwarding(SessionStore sessions) {
        return new IdentityForwarding(sessions);
    }

    @Bean
    @ConditionalOnMissingBean
    RoutePolicyFilter wechatRoutePolicyFilter(IdentityForwarding identity, LoginRoute login) {
        return new RoutePolicyFilter(Map.of(RoutePolicy.REQUIRED, identity, RoutePolicy.OPTIONAL, identity,
                RoutePolicy.PUBLIC, identity, RoutePolicy.LOGIN, login));
    }

    @Bean
    @ConditionalOnMissingBean
    RequestPathGuard wechatRequestPathGuard() {
        return new RequestPathGuard();
    }

    @Bean
    @ConditionalOnMissingBean
    SessionEndpoints wechatSessionEndpoints(WechatAuthSettings settings, SessionStore sessions) {
        WechatAuthProperties.Endpoints endpoints = settings.properties().endpoints();
        return new SessionEndpoints(endpoints.logout(), endpoints.session(), sessions);
    }

    /** Keeps AppSecrets out of every log line, when Logback is the logging backend. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "ch.qos.logback.classic.LoggerContext")
    static class SecretLogGuardConfiguration {

        @Bean
        @ConditionalOnMissingBean
        SecretLogGuardRegistration wechatAuthSecretLogGuard(MiniPrograms apps) {
            return new SecretLogGuardRegistration(apps.secrets());
        }
    }

    /** Sessions kept in memory per instance, evicted everywhere over Redis pub/sub (default on). */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnBean(LettuceConnectionFactory.class)
    @ConditionalOnExpression("${wechat.auth.session.cache-size:100000} > 0")
    static class CachedSessionsConfiguration {

        @Bean
        @ConditionalOnMissingBean(SessionStore.class)
        CachedSessionStore wechatAuthCachedSessionStore(ReactiveStringRedisTemplate redis, Tokens tokens,
                SessionWriter writer, LettuceConnectionFactory lettuce, WechatAuthSettings settings) {
            WechatAuthProperties.Session session = settings.properties().session();
            return new CachedSessionStore(redisSessionStore(redis, tokens, writer, session),
                    new SessionInvalidations(lettuce.getRequiredNativeClient(), redis, session.namespace()),
                    session.cacheSize(), RedisSessionStore.renewalInterval(session.ttl()));
        }
    }
}
