package dev.wechatauth.gateway.identity;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import dev.wechatauth.gateway.rig.Answer;
import dev.wechatauth.gateway.rig.Backends;
import dev.wechatauth.gateway.rig.Gateway;
import dev.wechatauth.gateway.rig.GatewayLauncher;
import dev.wechatauth.gateway.rig.WechatUser;
import dev.wechatauth.testkit.Reply;
import dev.wechatauth.testkit.WechatEncryptedData;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.config.BeanFactoryPostProcessor;
import org.springframework.context.annotation.Bean;

/**
 * The threat of a log file as a leak (docs/reference.md, Login: the session_key never leaves the gateway, not in a
 * response, not in a log line; and some WeChat client libraries print the AppSecret in their DEBUG lines). An
 * in-process gateway runs with every logger at DEBUG, captured from the start of its application context until it has
 * shut down, while a representative set of requests goes through it: logins (both mini-programs, JSON and form,
 * self-answering and forwarded, duplicates), authenticated requests on every policy, logout, refused requests carrying
 * a token, WeChat failing in every way, and phone numbers and decryption (the access_token travels in
 * getuserphonenumber's query string, refused once). Every captured event (logger, message, arguments, throwable with
 * causes and suppressed) is then searched for the AppSecrets, every session_key the stand-in handed out, every token
 * the gateway issued, every access_token the stand-in handed out and every identity JWT a service received. Levels
 * are restored afterwards.
 */
class LogAuditTest {

    private static final List<String> AUDITED_LOGGERS = List.of(Logger.ROOT_LOGGER_NAME, "org.springframework",
            "reactor.netty", "io.netty", "io.lettuce", "dev.wechatauth");

    private static Backends backends;
    private static final Set<String> secrets = new LinkedHashSet<>();
    private static final Set<String> sessionKeys = new LinkedHashSet<>();
    private static final Set<String> tokens = new LinkedHashSet<>();
    private static final Set<String> accessTokens = new LinkedHashSet<>();
    private static final Set<String> identityJwts = new LinkedHashSet<>();
    private static final List<Answer> answers = new ArrayList<>();
    private static List<ILoggingEvent> events;

    @BeforeAll
    static void runRepresentativeRequestsWithEverythingAtDebug() {
        backends = Backends.start();
        secrets.add(Backends.FIRST_SECRET);
        secrets.add(Backends.SECOND_SECRET);
        secrets.add(Backends.ADMIN_TOKEN);
        LoggerContext logback = (LoggerContext) LoggerFactory.getILoggerFactory();
        Map<String, Level> levelsBefore = new LinkedHashMap<>();
        AUDITED_LOGGERS.forEach(name -> levelsBefore.put(name, logback.getLogger(name).getLevel()));
        List<String> overrides = new ArrayList<>();
        AUDITED_LOGGERS.forEach(name -> overrides.add("logging.level." + (name.equals(Logger.ROOT_LOGGER_NAME)
                ? "root" : name) + "=DEBUG"));
        overrides.add("spring.main.sources=" + CaptureFromLoggingSetUp.class.getName());
        CaptureFromLoggingSetUp.attach();
        try {
            try (Gateway gateway = GatewayLauncher.on(backends).with(overrides.toArray(String[]::new)).start()) {
                logins(gateway);
                authenticatedRequests(gateway);
                // before WeChat's failures, which open the login breaker
                phoneAndDecrypt(gateway);
                wechatFailures(gateway);
            }
            backends.echo.received().forEach(received -> received.headerValues("Authorization").stream()
                    .filter(value -> value.startsWith("Bearer eyJ"))
                    .forEach(value -> identityJwts.add(value.substring("Bearer ".length()))));
        } finally {
            events = CaptureFromLoggingSetUp.detach();
            levelsBefore.forEach((name, level) -> logback.getLogger(name).setLevel(level));
        }
    }

    @AfterAll
    static void stopBackends() {
        backends.close();
    }

    @Test
    void theAuditSawDebugLinesOfEveryLibraryOnTheRequestPath() {
        for (String library : List.of("org.springframework.web", "org.springframework.cloud.gateway", "reactor.netty",
                "io.lettuce", "dev.wechatauth")) {
            assertThat(events).as("DEBUG events of %s", library)
                    .anyMatch(event -> event.getLoggerName().startsWith(library) && event.getLevel() == Level.DEBUG);
        }
        assertThat(events).as("the start-up was captured too")
                .anyMatch(event -> event.getFormattedMessage().matches("(?s)Started .* in .* seconds.*"));
        assertThat(tokens).as("tokens issued").hasSizeGreaterThan(5);
        assertThat(sessionKeys).as("session_keys handed out").hasSizeGreaterThan(5);
    }

    @Test
    void noLogLineCarriesAnAppSecretOrTheAdminToken() {
        assertNoLineContains(secrets, "an AppSecret or the admin token");
    }

    @Test
    void noLogLineCarriesASessionKey() {
        assertNoLineContains(sessionKeys, "a session_key");
    }

    @Test
    void noLogLineCarriesAnIssuedToken() {
        assertNoLineContains(tokens, "a token the gateway issued");
    }

    @Test
    void noLogLineCarriesAnAccessToken() {
        assertThat(accessTokens).as("access_tokens handed out").hasSizeGreaterThanOrEqualTo(2);
        assertNoLineContains(accessTokens, "an access_token");
    }

    @Test
    void noLogLineCarriesAnIdentityJwt() {
        assertThat(identityJwts).as("identity JWTs the services received").hasSizeGreaterThanOrEqualTo(3);
        assertNoLineContains(identityJwts, "an identity JWT");
    }

    @Test
    void noAnswerCarriesAnAccessToken() {
        for (Answer answer : answers) {
            for (String accessToken : accessTokens) {
                assertThat(answer.body()).as("body of %s", answer).doesNotContain(accessToken);
                answer.headers().forEach(h -> assertThat(h.getKey() + ": " + h.getValue()).as("header of %s", answer)
                        .doesNotContain(accessToken));
            }
        }
    }

    @Test
    void noAnswerCarriesASessionKey() {
        assertThat(answers).as("answers").hasSizeGreaterThan(20);
        for (Answer answer : answers) {
            for (String key : sessionKeys) {
                assertThat(answer.body()).as("body of %s", answer).doesNotContain(key);
                answer.headers().forEach(h -> assertThat(h.getKey() + ": " + h.getValue()).as("header of %s", answer)
                        .doesNotContain(key));
            }
        }
    }

    // ---- the representative requests ----

    private static void logins(Gateway gateway) {
        for (int i = 0; i < 3; i++) {
            WechatUser user = backends.newUser();
            String code = codeFor(user);
            keep(gateway.login(code));
            keep(gateway.login(code)); // the duplicate
        }
        WechatUser second = backends.newUser(Backends.SECOND_APPID, false);
        keep(gateway.loginWithBody(
                "{\"code\":\"" + codeFor(second) + "\",\"appid\":\"" + Backends.SECOND_APPID + "\"}"));
        WechatUser byReferer = backends.newUser(Backends.SECOND_APPID, false);
        keep(gateway.login(codeFor(byReferer),
                "Referer: https://servicewechat.com/" + Backends.SECOND_APPID + "/3/page-frame.html"));
        WechatUser byForm = backends.newUser();
        keep(gateway.post("/wx/login", "code=" + codeFor(byForm), "Content-Type: application/x-www-form-urlencoded"));
        WechatUser forwarded = backends.newUser();
        String forwardedCode = codeFor(forwarded);
        for (int i = 0; i < 2; i++) {
            keep(gateway.post("/wx/login-forward", "{\"code\":\"" + forwardedCode + "\"}",
                    "Content-Type: application/json", "Authorization: Bearer " + tokens.iterator().next()));
        }
    }

    private static void authenticatedRequests(Gateway gateway) {
        String token = issue(gateway);
        String bearer = "Authorization: Bearer " + token;
        for (String path : List.of(Backends.REQUIRED, Backends.OPTIONAL, Backends.PUBLIC, Backends.DEFAULT,
                "/api/orders/__status/500/x", "/api/orders/__header/X-Debug/1/x")) {
            keep(gateway.get(path, bearer));
        }
        keep(gateway.get(Backends.REQUIRED, "Authorization: bearer " + token));
        keep(gateway.get("/wx/session", bearer));
        keep(gateway.raw("GET " + Backends.REQUIRED + " HTTP/1.1", bearer, bearer));
        keep(gateway.get("/api/slow/__slow/1500/x", bearer));
        keep(gateway.get("/api/dead/x", bearer));
        keep(gateway.raw("GET /api/status/..%2forders/1 HTTP/1.1", bearer));
        keep(gateway.raw("GET " + Backends.REQUIRED + " HTTP/1.1", bearer, "X-Big: " + "x".repeat(16 * 1024)));
        keep(gateway.raw("GET " + Backends.REQUIRED + " HTTP/1.1", bearer, "X-Open\u0001Id: x"));
        keep(gateway.post("/wx/logout", null, bearer));
        keep(gateway.get(Backends.REQUIRED, bearer));
        keep(gateway.get("/wx/session", bearer));
        sessionControl(gateway);
        String other = issue(gateway);
        keep(gateway.send("POST", Backends.REQUIRED,
                ("{\"token\":\"" + other + "\"}").getBytes(StandardCharsets.UTF_8), "Authorization: Bearer " + other,
                "Content-Type: application/json"));
    }

    /** The user's own sessions and the admin API, whose token counts as a secret here. */
    private static void sessionControl(Gateway gateway) {
        WechatUser user = backends.newUser();
        String phone = gateway.tokenFor(user);
        String tablet = gateway.tokenFor(user);
        tokens.add(phone);
        tokens.add(tablet);
        String bearer = "Authorization: Bearer " + phone;
        keep(gateway.get("/wx/sessions", bearer));
        keep(gateway.send("DELETE", "/wx/sessions/" + "A".repeat(22), null, bearer));
        String admin = "Authorization: Bearer " + Backends.ADMIN_TOKEN;
        String path = "/admin/users/" + user.appid() + "/" + user.openid();
        keep(gateway.management().get(path + "/sessions", admin));
        keep(gateway.management().get(path + "/sessions", "Authorization: Bearer " + Backends.ADMIN_TOKEN + "x"));
        keep(gateway.management().get(path + "/sessions", bearer));
        keep(gateway.management().send("PUT", path + "/block", "{\"seconds\":5}".getBytes(StandardCharsets.UTF_8),
                admin, "Content-Type: application/json"));
        keep(gateway.login(backends.issueCode(user)));
        keep(gateway.management().send("DELETE", path + "/block", null, admin));
        keep(gateway.management().send("DELETE", path + "/sessions", null, admin));
        keep(gateway.send("DELETE", "/wx/sessions", null, "Authorization: Bearer " + gateway.tokenFor(user)));
    }

    private static void wechatFailures(Gateway gateway) {
        for (Reply reply : List.of(Reply.errcode(40029), Reply.errcode(40163), Reply.errcode(40226),
                Reply.errcode(45011), Reply.errcode(-1), Reply.errcode(40125), Reply.status(500), Reply.status(404),
                Reply.body("<html>busy</html>"), Reply.largeBody(256 * 1024), Reply.reset(), Reply.hang(),
                Reply.redirect(backends.wechat.baseUrl() + "/elsewhere"))) {
            String code = codeFor(backends.newUser());
            backends.wechat.script(code, reply);
            keep(gateway.login(code));
        }
        // replies that carry a session_key the gateway must refuse, and so must not print
        for (String shape : List.of("{\"openid\":\"not an id!\",\"session_key\":\"%s\"}",
                "{\"openid\":\"o1\",\"unionid\":\"u\\r\\n1\",\"session_key\":\"%s\"}",
                "{\"errcode\":40029,\"openid\":\"o1\",\"session_key\":\"%s\"}")) {
            WechatUser user = backends.newUser();
            String code = codeFor(user);
            backends.wechat.script(code, Reply.body(shape.formatted(user.sessionKey())));
            keep(gateway.login(code));
        }
        backends.wechat.clearScripts();
    }

    private static void phoneAndDecrypt(Gateway gateway) {
        WechatUser user = backends.newUser();
        String token = issue(gateway, user);
        String bearer = "Authorization: Bearer " + token;
        String json = "Content-Type: application/json";
        for (String path : List.of(Backends.PHONE, Backends.PHONE_FORWARD)) {
            String code = backends.issuePhoneCode(Backends.FIRST_APPID, "+8613800138000", "13800138000", "86");
            keep(gateway.post(path, "{\"code\":\"" + code + "\"}", bearer, json));
            keepAccessToken();
        }
        // refused once (40001): a new token is taken and the call made again
        backends.wechat.invalidateAccessTokens(Backends.FIRST_APPID);
        String code = backends.issuePhoneCode(Backends.FIRST_APPID, "+8613800138001", "13800138001", "86");
        keep(gateway.post(Backends.PHONE, "{\"code\":\"" + code + "\"}", bearer, json));
        keepAccessToken();
        keep(gateway.post(Backends.PHONE, "{\"code\":\"never-issued\"}", bearer, json));
        backends.wechat.scriptPhone("phone-hangs", Reply.hang());
        keep(gateway.post(Backends.PHONE, "{\"code\":\"phone-hangs\"}", bearer, json));
        for (String path : List.of(Backends.DECRYPT, Backends.DECRYPT_FORWARD)) {
            WechatEncryptedData.Sealed sealed = WechatEncryptedData.seal(user.sessionKey(),
                    "{\"a\":1," + WechatEncryptedData.watermark(Backends.FIRST_APPID) + "}");
            keep(gateway.post(path, "{\"encryptedData\":\"" + sealed.encryptedData() + "\",\"iv\":\"" + sealed.iv()
                    + "\"}", bearer, json));
        }
        keep(gateway.post(Backends.DECRYPT, "{\"encryptedData\":\"AAAA\",\"iv\":\"AAAA\"}", bearer, json));
        backends.wechat.clearScripts();
    }

    private static void keepAccessToken() {
        String accessToken = backends.wechat.currentAccessToken(Backends.FIRST_APPID);
        if (accessToken != null) {
            accessTokens.add(accessToken);
        }
    }

    // ---- helpers ----

    /** A fresh code for {@code user}, whose session_key now counts as handed out. */
    private static String codeFor(WechatUser user) {
        sessionKeys.add(user.sessionKey());
        return backends.issueCode(user);
    }

    private static String issue(Gateway gateway) {
        return issue(gateway, backends.newUser());
    }

    private static String issue(Gateway gateway, WechatUser user) {
        Answer answer = gateway.login(codeFor(user));
        keep(answer);
        assertThat(answer.status()).as("%s", answer).isEqualTo(200);
        return answer.json().get("token").asString();
    }

    /** Keeps the answer, and the token it carries if any. */
    private static void keep(Answer answer) {
        answers.add(answer);
        if (answer.status() == 200 && answer.body().contains("\"token\"")) {
            tokens.add(answer.json().get("token").asString());
        }
        answer.headerValues("X-Auth-Token").forEach(tokens::add);
    }

    private static void assertNoLineContains(Set<String> values, String what) {
        assertThat(events).as("captured events").hasSizeGreaterThan(100);
        assertThat(values).as(what).isNotEmpty();
        List<String> leaks = new ArrayList<>();
        for (ILoggingEvent event : events) {
            String text = text(event);
            for (String value : values) {
                if (text.contains(value)) {
                    leaks.add(event.getLevel() + " " + event.getLoggerName() + " [" + event.getThreadName() + "]: "
                            + abbreviated(text));
                    break;
                }
            }
        }
        assertThat(leaks).as("log events carrying %s (%d events captured)", what, events.size()).isEmpty();
    }

    /** Everything an appender could print of {@code event}. */
    private static String text(ILoggingEvent event) {
        StringBuilder text = new StringBuilder(event.getLoggerName()).append(' ').append(event.getFormattedMessage())
                .append(' ').append(event.getMessage());
        if (event.getArgumentArray() != null) {
            text.append(' ').append(Arrays.deepToString(event.getArgumentArray()));
        }
        if (event.getThrowableProxy() != null) {
            text.append(' ').append(ThrowableProxyUtil.asString(event.getThrowableProxy()));
        }
        text.append(' ').append(event.getMDCPropertyMap());
        if (event.getKeyValuePairs() != null) {
            text.append(' ').append(event.getKeyValuePairs());
        }
        return text.toString();
    }

    private static String abbreviated(String text) {
        return text.length() > 600 ? text.substring(0, 600) + "…" : text;
    }

    /**
     * Keeps a {@link ListAppender} on the root logger: attached before the gateway starts, and again, should Spring
     * Boot's logging set-up have reset Logback meanwhile, as the first bean factory post-processor of the gateway's
     * context (added to it through {@code spring.main.sources}; not a {@code @Configuration}, so that no component
     * scan of the application picks it up for other gateways).
     */
    public static class CaptureFromLoggingSetUp {

        private static final String NAME = "attack-log-audit";
        private static ListAppender<ILoggingEvent> appender;

        @Bean
        static BeanFactoryPostProcessor attackLogAuditReattach() {
            return beanFactory -> attach();
        }

        static synchronized void attach() {
            LoggerContext logback = (LoggerContext) LoggerFactory.getILoggerFactory();
            if (appender == null) {
                appender = new ListAppender<>();
                appender.setName(NAME);
            }
            appender.setContext(logback);
            if (!appender.isStarted()) {
                appender.start();
            }
            Logger root = logback.getLogger(Logger.ROOT_LOGGER_NAME);
            if (root.getAppender(NAME) == null) {
                root.addAppender(appender);
            }
        }

        static synchronized List<ILoggingEvent> detach() {
            LoggerContext logback = (LoggerContext) LoggerFactory.getILoggerFactory();
            logback.getLogger(Logger.ROOT_LOGGER_NAME).detachAppender(NAME);
            appender.stop();
            List<ILoggingEvent> captured;
            synchronized (appender) {
                captured = List.copyOf(appender.list);
            }
            appender = null;
            return captured;
        }
    }
}
