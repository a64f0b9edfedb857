package dev.wechatauth.plugin.config;

import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import dev.wechatauth.plugin.accesstoken.AccessTokens;
import dev.wechatauth.plugin.decrypt.DecryptRoute;

import dev.wechatauth.plugin.endpoints.SessionEndpoints;
import dev.wechatauth.plugin.error.ErrorResponseWriter;
import dev.wechatauth.plugin.error.JsonErrorWebExceptionHandler;
import dev.wechatauth.plugin.exchange.BodyReader;
import dev.wechatauth.plugin.identity.DownstreamIdentity;
import dev.wechatauth.plugin.identity.IdentityForwarding;
import dev.wechatauth.plugin.identity.RequiredSession;
import dev.wechatauth.plugin.identitytoken.IdentityKeys;
import dev.wechatauth.plugin.identitytoken.IdentityTokens;
import dev.wechatauth.plugin.identitytoken.JwkSetEndpoint;
import dev.wechatauth.plugin.identitytoken.KeyAnnouncements;
import dev.wechatauth.plugin.identitytoken.PublishedKeys;
import dev.wechatauth.plugin.identitytoken.SigningKey;
import dev.wechatauth.plugin.identitytoken.SigningKeys;
import dev.wechatauth.plugin.logging.SecretLogGuardRegistration;
import dev.wechatauth.plugin.login.AppSelector;
import dev.wechatauth.plugin.login.ClientAddress;
import dev.wechatauth.plugin.login.DuplicateLoginWindow;
import dev.wechatauth.plugin.login.LoginRateLimiter;
import dev.wechatauth.plugin.login.LoginRoute;
import dev.wechatauth.plugin.login.LoginService;
import dev.wechatauth.plugin.metrics.LoginMeters;
import dev.wechatauth.plugin.metrics.SessionCheckMeters;
import dev.wechatauth.plugin.phone.PhoneNumbers;
import dev.wechatauth.plugin.phone.PhoneRoute;
import dev.wechatauth.plugin.routing.RequestMethodGuard;
import dev.wechatauth.plugin.routing.RequestPathGuard;
import dev.wechatauth.plugin.routing.RoutePolicy;
import dev.wechatauth.plugin.routing.RoutePolicyFilter;
import dev.wechatauth.plugin.session.CachedSessionStore;
import dev.wechatauth.plugin.session.PipelinedScripts;
import dev.wechatauth.plugin.session.RedisSessionStore;
import dev.wechatauth.plugin.session.ReplicatedSessionWriter;
import dev.wechatauth.plugin.session.ScriptRunner;
import dev.wechatauth.plugin.session.SessionInvalidations;
import dev.wechatauth.plugin.session.SessionPolicy;
import dev.wechatauth.plugin.session.SessionStore;
import dev.wechatauth.plugin.session.SessionWriter;
import dev.wechatauth.plugin.session.Tokens;
import dev.wechatauth.plugin.wechat.MiniPrograms;
import dev.wechatauth.plugin.wechat.WechatApi;
import dev.wechatauth.plugin.wechat.WechatCallGuard;
import dev.wechatauth.plugin.wechat.WechatClient;
import dev.wechatauth.plugin.wechat.WechatHttpClients;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.beans.factory.ObjectProvider;
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
 * identity headers, the phone-number and decrypt routes with the shared access_token, the built-in endpoints and
 * JSON errors. Every bean backs off when the application defines its
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
    /**
     * The most stable_token calls in flight per mini-program: one instance makes at most one at a time (a Redis lock),
     * so more would only be a lock holder that outlived its lock.
     */
    private static final int STABLE_TOKEN_MAX_IN_FLIGHT = 4;
    /** The largest WeChat answer read; code2Session's are under 200 bytes, the others under 1 KiB. */
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
        return redisSessionStore(redis, tokens, writer, ScriptRunner.of(redis), session);
    }

    static RedisSessionStore redisSessionStore(ReactiveStringRedisTemplate redis, Tokens tokens, SessionWriter writer,
            ScriptRunner renewals, WechatAuthProperties.Session session) {
        return new RedisSessionStore(redis, tokens, writer, renewals, session.namespace(),
                new SessionPolicy(session.ttl(), session.maxLifetime(), session.maxPerUser()), Clock.systemUTC());
    }

    /** The login series, counted into the application's meter registry if it has one. */
    @Bean
    @ConditionalOnMissingBean
    LoginMeters wechatLoginMeters(ObjectProvider<MeterRegistry> registry, MiniPrograms apps) {
        MeterRegistry meters = registry.getIfAvailable();
        return meters == null ? LoginMeters.unmeasured() : new LoginMeters(meters, apps.appids());
    }

    /** The token-check series, counted into the application's meter registry if it has one. */
    @Bean
    @ConditionalOnMissingBean
    SessionCheckMeters wechatSessionCheckMeters(ObjectProvider<MeterRegistry> registry) {
        MeterRegistry meters = registry.getIfAvailable();
        return meters == null ? SessionCheckMeters.unmeasured() : new SessionCheckMeters(meters);
    }

    /** Its breakers and bounds are made at start for every mini-program, so that their series show from the start. */
    @Bean
    @ConditionalOnMissingBean
    WechatCallGuard wechatCallGuard(WechatAuthSettings settings, MiniPrograms apps) {
        WechatAuthProperties.CircuitBreaker breaker = settings.properties().circuitBreaker();
        Map<WechatApi, Integer> maxInFlight = new EnumMap<>(WechatApi.class);
        maxInFlight.put(WechatApi.CODE2SESSION, settings.properties().login().maxInFlight());
        maxInFlight.put(WechatApi.STABLE_TOKEN, STABLE_TOKEN_MAX_IN_FLIGHT);
        maxInFlight.put(WechatApi.PHONE, settings.properties().phone().maxInFlight());
        WechatCallGuard guard = new WechatCallGuard(breaker.failureRate(), breaker.window(), breaker.minimumCalls(),
                breaker.openFor(), breaker.trialCalls(), maxInFlight);
        apps.appids().forEach(guard::expect);
        return guard;
    }

    @Bean
    @ConditionalOnMissingBean
    AccessTokens wechatAccessTokens(ReactiveStringRedisTemplate redis, WechatClient wechat, WechatCallGuard guard,
            WechatAuthSettings settings) {
        WechatAuthProperties properties = settings.properties();
        return new AccessTokens(redis, wechat, guard, properties.session().namespace(),
                properties.accessToken().refreshAhead(), properties.timeout());
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
            DuplicateLoginWindow duplicates, LoginMeters meters) {
        return new LoginService(wechat, guard, sessions, duplicates, meters);
    }

    @Bean
    @ConditionalOnMissingBean
    LoginRoute wechatLoginRoute(WechatAuthSettings settings, ReactiveStringRedisTemplate redis, MiniPrograms apps,
            LoginService logins, DownstreamIdentity identity, LoginMeters meters) {
        WechatAuthProperties properties = settings.properties();
        return new LoginRoute(new ClientAddress(settings.trustedProxies()),
                new LoginRateLimiter(redis, properties.session().namespace(), properties.loginLimit().requests(),
                        properties.loginLimit().period()),
                new BodyReader((int) properties.login().maxBodySize().toBytes()),
                new AppSelector(apps), logins, identity, meters);
    }

    /** The identity a forwarded request carries: headers, Cloud Run's names if asked for, the JWT if it is on. */
    @Bean
    @ConditionalOnMissingBean
    DownstreamIdentity wechatDownstreamIdentity(WechatAuthSettings settings, ObjectProvider<IdentityTokens> tokens) {
        WechatAuthProperties properties = settings.properties();
        return new DownstreamIdentity(tokens.getIfAvailable(), properties.identityToken().header(),
                properties.identityHeaders().cloudRun());
    }

    @Bean
    @ConditionalOnMissingBean
    IdentityForwarding wechatIdentityForwarding(SessionStore sessions, DownstreamIdentity identity,
            SessionCheckMeters checks) {
        return new IdentityForwarding(sessions, identity, checks);
    }

    @Bean
    @ConditionalOnMissingBean
    RequiredSession wechatRequiredSession(SessionStore sessions, SessionCheckMeters checks) {
        return new RequiredSession(sessions, checks);
    }

    @Bean
    @ConditionalOnMissingBean
    PhoneNumbers wechatPhoneNumbers(WechatClient wechat, WechatCallGuard guard, AccessTokens accessTokens) {
        return new PhoneNumbers(wechat, guard, accessTokens);
    }

    /** Phone and decrypt bodies follow the login's body rules, {@code login.max-body-size} included. */
    @Bean
    @ConditionalOnMissingBean
    PhoneRoute wechatPhoneRoute(WechatAuthSettings settings, RequiredSession sessions, MiniPrograms apps,
            PhoneNumbers phones, DownstreamIdentity identity) {
        return new PhoneRoute(sessions, new BodyReader((int) settings.properties().login().maxBodySize().toBytes()),
                apps, phones, identity);
    }

    @Bean
    @ConditionalOnMissingBean
    DecryptRoute wechatDecryptRoute(WechatAuthSettings settings, RequiredSession sessions, SessionStore store,
            DownstreamIdentity identity) {
        return new DecryptRoute(sessions, store,
                new BodyReader((int) settings.properties().login().maxBodySize().toBytes()), identity);
    }

    @Bean
    @ConditionalOnMissingBean
    RoutePolicyFilter wechatRoutePolicyFilter(IdentityForwarding identity, LoginRoute login, PhoneRoute phone,
            DecryptRoute decrypt) {
        return new RoutePolicyFilter(Map.of(RoutePolicy.REQUIRED, identity, RoutePolicy.OPTIONAL, identity,
                RoutePolicy.PUBLIC, identity, RoutePolicy.LOGIN, login, RoutePolicy.PHONE, phone,
                RoutePolicy.DECRYPT, decrypt));
    }

    @Bean
    @ConditionalOnMissingBean
    RequestPathGuard wechatRequestPathGuard() {
        return new RequestPathGuard();
    }

    @Bean
    @ConditionalOnMissingBean
    RequestMethodGuard wechatRequestMethodGuard() {
        return new RequestMethodGuard();
    }

    @Bean
    @ConditionalOnMissingBean
    SessionEndpoints wechatSessionEndpoints(WechatAuthSettings settings, SessionStore sessions) {
        WechatAuthProperties.Endpoints endpoints = settings.properties().endpoints();
        return new SessionEndpoints(endpoints.logout(), endpoints.session(), endpoints.sessions(), sessions);
    }

    /** Keeps AppSecrets, bearer tokens and access_tokens out of every log line, when Logback is the logging backend. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "ch.qos.logback.classic.LoggerContext")
    static class SecretLogGuardConfiguration {

        @Bean
        @ConditionalOnMissingBean
        SecretLogGuardRegistration wechatAuthSecretLogGuard(MiniPrograms apps, ObjectProvider<AccessTokens> accessTokens) {
            AccessTokens tokens = accessTokens.getIfAvailable();
            Supplier<Collection<String>> current = tokens == null ? List::of : tokens::knownTokens;
            return new SecretLogGuardRegistration(apps.secrets(), current);
        }
    }

    /**
     * The signed identity JWT (default on): this instance's keys, published through Redis, the JWK Set served from
     * memory, and the JWTs kept per session and route.
     */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnProperty(prefix = "wechat.auth.identity-token", name = "enabled", havingValue = "true",
            matchIfMissing = true)
    static class IdentityTokenConfiguration {

        /** How long a next key is announced before it signs: more than the second every instance takes to read it. */
        private static final Duration ANNOUNCE_FOR = Duration.ofSeconds(2);
        /** The longest between two rounds of publishing and reading keys. */
        private static final Duration LONGEST_ROUND = Duration.ofSeconds(30);
        /** How much two instances' clocks may disagree about a key's publication. */
        private static final Duration CLOCK_SKEW = Duration.ofSeconds(5);
        /** The most JWTs kept in memory when sessions are not ({@code session.cache-size=0}). */
        private static final long JWTS_WITHOUT_SESSION_CACHE = 10_000;

        @Bean
        @ConditionalOnMissingBean
        IdentityKeys wechatIdentityKeys(WechatAuthSettings settings, ReactiveStringRedisTemplate redis,
                ObjectProvider<LettuceConnectionFactory> lettuce) {
            WechatAuthProperties properties = settings.properties();
            WechatAuthProperties.IdentityToken token = properties.identityToken();
            Duration round = token.ttl().dividedBy(4);
            round = round.compareTo(LONGEST_ROUND) > 0 ? LONGEST_ROUND : round;
            Duration margin = round.multipliedBy(2).plus(CLOCK_SKEW);
            Clock clock = Clock.systemUTC();
            SigningKey configured = settings.identityTokenSigningKey();
            SigningKeys keys = configured != null
                    ? SigningKeys.configured(configured, clock.instant(), token.ttl(), margin)
                    : SigningKeys.generated(SigningKey.generate(), clock.instant(), token.ttl(), token.rotation(),
                            margin);
            PublishedKeys published = new PublishedKeys(redis, properties.session().namespace(),
                    properties.session().storeTimeout());
            LettuceConnectionFactory factory = lettuce.getIfAvailable();
            KeyAnnouncements announcements = factory == null ? null
                    : new KeyAnnouncements(factory.getRequiredNativeClient(), published.channel());
            return new IdentityKeys(keys, published, announcements, clock, round, ANNOUNCE_FOR);
        }

        @Bean
        @ConditionalOnMissingBean
        IdentityTokens wechatIdentityTokens(WechatAuthSettings settings, IdentityKeys keys) {
            WechatAuthProperties properties = settings.properties();
            long cacheSize = properties.session().cacheSize();
            return new IdentityTokens(keys, properties.identityToken().issuer(), properties.identityToken().ttl(),
                    cacheSize > 0 ? cacheSize : JWTS_WITHOUT_SESSION_CACHE, Clock.systemUTC());
        }

        @Bean
        @ConditionalOnMissingBean
        JwkSetEndpoint wechatJwkSetEndpoint(IdentityKeys keys) {
            return new JwkSetEndpoint(keys);
        }
    }

    /** Sessions kept in memory per instance, evicted everywhere over Redis pub/sub (default on). */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnBean(LettuceConnectionFactory.class)
    @ConditionalOnExpression("${wechat.auth.session.cache-size:100000} > 0")
    static class CachedSessionsConfiguration {

        /** The background renewals of the sessions in memory, pipelined in batches on a connection of their own. */
        @Bean
        @ConditionalOnMissingBean
        PipelinedScripts wechatAuthRenewalPipeline(LettuceConnectionFactory lettuce) {
            return new PipelinedScripts(lettuce.getRequiredNativeClient());
        }

        @Bean
        @ConditionalOnMissingBean(SessionStore.class)
        CachedSessionStore wechatAuthCachedSessionStore(ReactiveStringRedisTemplate redis, Tokens tokens,
                SessionWriter writer, PipelinedScripts renewals, LettuceConnectionFactory lettuce,
                WechatAuthSettings settings) {
            WechatAuthProperties.Session session = settings.properties().session();
            return new CachedSessionStore(redisSessionStore(redis, tokens, writer, renewals, session),
                    new SessionInvalidations(lettuce.getRequiredNativeClient(), redis, session.namespace()),
                    session.cacheSize(), RedisSessionStore.renewalInterval(session.ttl()));
        }
    }
}
