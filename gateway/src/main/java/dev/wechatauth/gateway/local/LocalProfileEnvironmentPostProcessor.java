package dev.wechatauth.gateway.local;

import java.util.Map;

import org.apache.commons.logging.Log;
import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.logging.DeferredLogFactory;
import org.springframework.context.ApplicationListener;
import org.springframework.context.event.ContextClosedEvent;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.Profiles;

/**
 * The {@code local} profile, for a laptop with nothing but a JDK: starts an embedded Redis and an in-process WeChat
 * sandbox, points the gateway at both, configures a sandbox mini-program, and warns loudly that codes are not checked
 * with WeChat. Does nothing unless the profile is chosen.
 */
public class LocalProfileEnvironmentPostProcessor implements EnvironmentPostProcessor, Ordered {

    public static final String PROFILE = "local";
    static final String SANDBOX_APPID = "wx_local_sandbox";

    private final Log log;

    public LocalProfileEnvironmentPostProcessor(DeferredLogFactory logs) {
        this.log = logs.getLog(LocalProfileEnvironmentPostProcessor.class);
    }

    @Override
    public int getOrder() {
        return Ordered.LOWEST_PRECEDENCE;
    }

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
        if (!environment.acceptsProfiles(Profiles.of(PROFILE))
                || environment.getPropertySources().contains(LocalProfileEnvironmentPostProcessor.class.getName())) {
            return;
        }
        LocalRedis redis = new LocalRedis();
        LocalWechatSandbox wechat = new LocalWechatSandbox(SANDBOX_APPID);
        environment.getPropertySources().addFirst(new MapPropertySource(LocalProfileEnvironmentPostProcessor.class.getName(),
                Map.of("spring.data.redis.url", redis.url(),
                        "wechat.auth.api-base-url", wechat.baseUrl(),
                        "wechat.auth.apps[0].appid", SANDBOX_APPID,
                        "wechat.auth.apps[0].secret", "local-sandbox-secret")));
        application.addListeners((ApplicationListener<ContextClosedEvent>) closed -> stop(redis, wechat));
        Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(redis, wechat), "local-profile-stop"));
        log.warn("""

                ************************************************************************************
                *  LOCAL PROFILE: logins are NOT checked with WeChat. Any code logs in, as a user  *
                *  derived from the code, through an in-process WeChat sandbox; any phone code     *
                *  gives a fake number; sessions live in an embedded Redis that forgets everything *
                *  at exit. Never use this profile for real users.                                 *
                ************************************************************************************
                  embedded Redis: %s   WeChat sandbox: %s   mini-program: %s
                  encryptedData for a decrypt route: curl -s -X POST '%s/sandbox/encrypt?code=<login code>' -d '{"any":"json"}'""".formatted(
                redis.url(), wechat.baseUrl(), SANDBOX_APPID, wechat.baseUrl()));
    }

    private static synchronized void stop(LocalRedis redis, LocalWechatSandbox wechat) {
        try {
            wechat.close();
            redis.close();
        } catch (Exception ignored) {
            // already stopped
        }
    }
}
