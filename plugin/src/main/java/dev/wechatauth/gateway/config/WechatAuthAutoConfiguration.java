package dev.wechatauth.gateway.config;

import java.time.Clock;
import java.time.Duration;

import dev.wechatauth.gateway.error.ErrorResponseWriter;
import dev.wechatauth.gateway.error.JsonErrorWebExceptionHandler;
import dev.wechatauth.gateway.filter.AuthenticationFilter;
import dev.wechatauth.gateway.logging.SecretLogGuardRegistration;
import dev.wechatauth.gateway.login.AppSelector;
import dev.wechatauth.gateway.login.Cidr;
import dev.wechatauth.gateway.login.ClientAddress;
import dev.wechatauth.gateway.login.DuplicateLoginWindow;
import dev.wechatauth.gateway.login.LoginRateLimitFilter;
import dev.wechatauth.gateway.login.LoginRateLimiter;
import dev.wechatauth.gateway.login.LoginBodyReader;
import dev.wechatauth.gateway.login.LoginFilter;
import dev.wechatauth.gateway.login.LoginService;
import dev.wechatauth.gateway.session.CachedSessionStore;
import dev.wechatauth.gateway.session.RedisSessionStore;
import dev.wechatauth.gateway.session.SessionInvalidationListener;
import dev.wechatauth.gateway.session.ReplicatedSessionWriter;
import dev.wechatauth.gateway.session.SessionWriter;
import dev.wechatauth.gateway.session.SessionStore;
import dev.wechatauth.gateway.session.Tokens;
import dev.wechatauth.gateway.web.RequestPathGuard;
import dev.wechatauth.gateway.web.SessionEndpointsWebFilter;
import dev.wechatauth.gateway.wechat.WechatCallGuard;
import dev.wechatauth.gateway.wechat.WechatClient;
import dev.wechatauth.gateway.wechat.WechatHttpClients;
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
    ErrorResponseWriter wechatAuthErrorResponseWriter() {
        return new ErrorResponseWriter();
    }

    @Bean
    @ConditionalOnMissingBean
    JsonErrorWebExceptionHandler wechatAuthErrorWebExceptionHandler(ErrorResponseWriter errors) {
        return new JsonErrorWebExceptionHandler(errors);
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
    ClientAddress wechatLoginClientAddress(WechatAuthSettings settings) {
        return new ClientAddress(settings.properties().trustedProxies().stream().map(Cidr::parse).toList());
    }

    @Bean
    @ConditionalOnMissingBean
    LoginRateLimiter wechatLoginRateLimiter(ReactiveStringRedisTemplate redis, WechatAuthSettings settings) {
        WechatAuthProperties properties = settings.properties();
        return new LoginRateLimiter(redis, properties.session().namespace(), properties.loginLimit().requests(),
                properties.loginLimit().period());
    }

    @Bean
    @ConditionalOnMissingBean
    LoginRateLimitFilter wechatLoginRateLimitFilter(ClientAddress clients, LoginRateLimiter limiter,
            ErrorResponseWriter errors) {
        return new LoginRateLimitFilter(clients, limiter, errors);
    }

    @Bean
    @ConditionalOnMissingBean
    AppSelector wechatAppSelector(WechatAuthSettings settings) {
        return new AppSelector(settings);
    }

    @Bean
    @ConditionalOnMissingBean
    LoginBodyReader wechatLoginBodyReader(WechatAuthSettings settings) {
        return new LoginBodyReader((int) settings.properties().login().maxBodySize().toBytes());
    }

    @Bean
    @ConditionalOnMissingBean
    LoginFilter wechatLoginFilter(LoginBodyReader bodies, AppSelector apps, LoginService logins,
            ErrorResponseWriter errors) {
        return new LoginFilter(bodies, apps, logins, errors);
    }

    @Bean
    @ConditionalOnMissingBean
    AuthenticationFilter wechatAuthenticationFilter(SessionStore sessions, ErrorResponseWriter errors) {
        return new AuthenticationFilter(sessions, errors);
    }

    @Bean
    @ConditionalOnMissingBean
    RequestPathGuard wechatRequestPathGuard(ErrorResponseWriter errors) {
        return new RequestPathGuard(errors);
    }

    @Bean
    @ConditionalOnMissingBean
    SessionEndpointsWebFilter wechatSessionEndpoints(WechatAuthSettings settings, SessionStore sessions,
            ErrorResponseWriter errors) {
        WechatAuthProperties.Endpoints endpoints = settings.properties().endpoints();
        return new SessionEndpointsWebFilter(endpoints.logout(), endpoints.session(), sessions, errors);
    }

    /** Keeps AppSecrets out of every log line, when Logback is the logging backend. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "ch.qos.logback.classic.LoggerContext")
    static class SecretLogGuardConfiguration {

        @Bean
        @ConditionalOnMissingBean
        SecretLogGuardRegistration wechatAuthSecretLogGuard(WechatAuthSettings settings) {
            return new SecretLogGuardRegistration(
                    settings.properties().apps().stream().map(WechatAuthProperties.App::secret).toList());
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
                SessionWriter writer, WechatAuthSettings settings) {
            WechatAuthProperties.Session session = settings.properties().session();
            return new CachedSessionStore(redisSessionStore(redis, tokens, writer, session), redis,
                    session.namespace(), session.cacheSize(), RedisSessionStore.renewalInterval(session.ttl()));
        }

        @Bean
        @ConditionalOnBean(CachedSessionStore.class)
        @ConditionalOnMissingBean
        SessionInvalidationListener wechatAuthSessionInvalidations(CachedSessionStore sessions,
                LettuceConnectionFactory redis, WechatAuthSettings settings) {
            return new SessionInvalidationListener(redis.getRequiredNativeClient(), sessions,
                    CachedSessionStore.channel(settings.properties().session().namespace()));
        }
    }
}
