package dev.wechatauth.plugin.logging;

import java.time.Duration;
import java.util.List;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.wechatauth.plugin.accesstoken.AccessTokens;
import dev.wechatauth.plugin.phone.PhoneNumbers;
import dev.wechatauth.plugin.support.RedisFixture;
import dev.wechatauth.plugin.wechat.MiniProgram;
import dev.wechatauth.plugin.wechat.WechatCallGuard;
import dev.wechatauth.plugin.wechat.WechatClient;
import dev.wechatauth.plugin.wechat.WechatHttpClients;
import dev.wechatauth.testkit.RedisProcess;
import dev.wechatauth.testkit.WechatStandIn;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;

import java.net.URI;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The AppSecret travels in code2Session's query string and the access_token in getuserphonenumber's; libraries print
 * those URIs at DEBUG.
 */
class SecretLogGuardTest {

    private static final String SECRET = "s3cr3t-f0r-l0g-audit";
    private static final List<String> DEBUG_LOGGERS = List.of("reactor.netty", "org.springframework.web");

    private final LoggerContext logback = (LoggerContext) LoggerFactory.getILoggerFactory();
    private final ListAppender<ILoggingEvent> captured = new ListAppender<>();
    private WechatStandIn wechat;
    private WechatClient client;

    private static RedisProcess redis;
    private static RedisFixture fixture;

    @BeforeAll
    static void startRedis() {
        redis = RedisProcess.start();
        fixture = new RedisFixture(redis.port());
    }

    @AfterAll
    static void stopRedis() {
        fixture.close();
        redis.close();
    }

    private static ReactiveStringRedisTemplate redisTemplate() {
        return fixture.template();
    }

    @BeforeEach
    void debugLoggingCaptured() {
        wechat = WechatStandIn.start();
        wechat.registerApp("wx_app", SECRET);
        client = new WechatClient(WechatHttpClients.webClient(Duration.ofSeconds(2), 4), URI.create(wechat.baseUrl()),
                Duration.ofSeconds(2), 64 * 1024);
        captured.setContext(logback);
        captured.start();
        Logger root = logback.getLogger(Logger.ROOT_LOGGER_NAME);
        root.addAppender(captured);
        DEBUG_LOGGERS.forEach(name -> logback.getLogger(name).setLevel(Level.DEBUG));
    }

    @AfterEach
    void restoreLogging() {
        logback.getLogger(Logger.ROOT_LOGGER_NAME).detachAppender(captured);
        DEBUG_LOGGERS.forEach(name -> logback.getLogger(name).setLevel(null));
        wechat.close();
    }

    @Test
    void debugLoggingOfAPhoneCallWithoutTheGuardPrintsTheAccessTokenWhichIsWhyTheGuardDropsIt() {
        wechat.issuePhoneCode("wx_app", "phone-code-0", "+8613800138000", "13800138000", "86");
        AccessTokens tokens = new AccessTokens(redisTemplate(), client,
                new WechatCallGuard(50, 20, 10, Duration.ofSeconds(10), 3, 16), "log-guard-test-unguarded",
                Duration.ofMinutes(4), Duration.ofSeconds(2));

        new PhoneNumbers(client, new WechatCallGuard(50, 20, 10, Duration.ofSeconds(10), 3, 16), tokens)
                .of(new MiniProgram("wx_app", SECRET), "phone-code-0").block(Duration.ofSeconds(10));

        assertThat(capturedText()).contains(wechat.currentAccessToken("wx_app"));
    }

    @Test
    void debugLoggingWithoutTheGuardPrintsTheSecretWhichIsWhyTheGuardExists() {
        login("code-1");

        assertThat(capturedText()).contains(SECRET);
    }

    @Test
    void debugLoggingWithTheGuardNeverPrintsTheSecret() {
        SecretLogGuardRegistration guard = new SecretLogGuardRegistration(List.of(SECRET));
        guard.afterPropertiesSet();
        try {
            assertThat(guard.isActive()).isTrue();
            login("code-2");

            assertThat(captured.list).isNotEmpty();
            assertThat(capturedText()).doesNotContain(SECRET);
        } finally {
            guard.destroy();
        }
        assertThat(guard.isActive()).isFalse();
    }

    private void login(String code) {
        wechat.issueCode("wx_app", code, "openid_" + code, null, "c2Vzc2lvbmtleQ==");
        client.code2Session(new MiniProgram("wx_app", SECRET), code).block(Duration.ofSeconds(5));
    }

    private String capturedText() {
        List<ILoggingEvent> events;
        synchronized (captured) { // Netty threads may still be logging: AppenderBase appends under this lock
            events = List.copyOf(captured.list);
        }
        StringBuilder text = new StringBuilder();
        for (ILoggingEvent event : events) {
            text.append(event.getFormattedMessage()).append('\n');
            if (event.getThrowableProxy() != null) {
                text.append(event.getThrowableProxy().getMessage()).append('\n');
            }
        }
        return text.toString();
    }

    @Test
    void aLogLineCarryingACurrentAccessTokenIsDropped() {
        String accessToken = "AT_" + "z".repeat(60);
        SecretLogGuardRegistration guard = new SecretLogGuardRegistration(List.of(SECRET), () -> List.of(accessToken));
        guard.afterPropertiesSet();
        try {
            org.slf4j.Logger logger = LoggerFactory.getLogger("org.springframework.web.test");
            logger.debug("the token is {}", accessToken);
            logger.debug("POST /wxa/business/getuserphonenumber?access_token=" + accessToken);
            logger.warn("failed", new IllegalStateException("cannot use " + accessToken));
            logger.debug("a line without a token");

            assertThat(capturedText()).doesNotContain(accessToken).contains("a line without a token");
        } finally {
            guard.destroy();
        }
    }

    @Test
    void aLogLineCarryingAnyAccessTokenParameterIsDropped() {
        SecretLogGuardRegistration guard = new SecretLogGuardRegistration(List.of(SECRET), List::of);
        guard.afterPropertiesSet();
        try {
            org.slf4j.Logger logger = LoggerFactory.getLogger("org.springframework.web.test");
            logger.debug("GET /x?a=1&access_token=someone-elses-token-1");
            logger.debug("{\"access_token\":\"someone-elses-token-2\",\"expires_in\":7200}");
            logger.debug("{\"access_token\" : \"someone-elses-token-3\"}");
            logger.debug("the word access_token alone is fine");

            assertThat(capturedText()).doesNotContain("someone-elses-token")
                    .contains("the word access_token alone is fine");
        } finally {
            guard.destroy();
        }
    }

    @Test
    void debugLoggingOfAPhoneCallNeverPrintsTheAccessToken() {
        wechat.issuePhoneCode("wx_app", "phone-code-1", "+8613800138000", "13800138000", "86");
        AccessTokens tokens = new AccessTokens(redisTemplate(), client,
                new WechatCallGuard(50, 20, 10, Duration.ofSeconds(10), 3, 16), "log-guard-test", Duration.ofMinutes(4),
                Duration.ofSeconds(2));
        SecretLogGuardRegistration guard = new SecretLogGuardRegistration(List.of(SECRET), tokens::knownTokens);
        guard.afterPropertiesSet();
        try {
            new PhoneNumbers(client, new WechatCallGuard(50, 20, 10, Duration.ofSeconds(10), 3, 16), tokens)
                    .of(new MiniProgram("wx_app", SECRET), "phone-code-1").block(Duration.ofSeconds(10));

            String accessToken = wechat.currentAccessToken("wx_app");
            assertThat(accessToken).isNotNull();
            assertThat(captured.list).isNotEmpty();
            assertThat(capturedText()).doesNotContain(accessToken).doesNotContain(SECRET);
        } finally {
            guard.destroy();
        }
    }

    @Test
    void aLogLineCarryingABearerTokenIsDropped() {
        SecretLogGuardRegistration guard = new SecretLogGuardRegistration(List.of(SECRET));
        guard.afterPropertiesSet();
        try {
            org.slf4j.Logger logger = LoggerFactory.getLogger("org.springframework.web.test");
            logger.debug("headers: [Authorization:\"Bearer {}\"]", "A".repeat(43));
            logger.debug("headers: [authorization:\"bearer " + "b".repeat(43) + "\"]");
            logger.debug("a line without a token: Bearer scheme");

            assertThat(capturedText()).doesNotContain("A".repeat(43)).doesNotContain("b".repeat(43))
                    .contains("a line without a token");
        } finally {
            guard.destroy();
        }
    }
}
