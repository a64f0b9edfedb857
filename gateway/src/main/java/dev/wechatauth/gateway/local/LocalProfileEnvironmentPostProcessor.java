package dev.wechatauth.gateway.local;

import java.util.LinkedHashMap;
import java.util.List;
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
 * with WeChat. It also starts an echo backend ({@link LocalEchoBackend}) and gives the service addresses of the example
 * {@code routes.yml} ({@link #ECHOED_SERVICES}) to it, unless the environment names them. Does nothing unless the
 * profile is chosen.
 */
public class LocalProfileEnvironmentPostProcessor implements EnvironmentPostProcessor, Ordered {

    public static final String PROFILE = "local";
    static final String SANDBOX_APPID = "wx_local_sandbox";
    /** The placeholders of the example routes.yml's services, all answered by the echo backend here. */
    static final List<String> ECHOED_SERVICES = List.of("ORDERS_URL", "CATALOG_URL", "STATUS_URL", "USERS_URL",
            "STEPS_URL");

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
        LocalEchoBackend echo = new LocalEchoBackend();
        environment.getPropertySources().addFirst(new MapPropertySource(LocalProfileEnvironmentPostProcessor.class.getName(),
                Map.of("spring.data.redis.url", redis.url(),
                        "wechat.auth.api-base-url", wechat.baseUrl(),
                        "wechat.auth.apps[0].appid", SANDBOX_APPID,
                        "wechat.auth.apps[0].secret", "local-sandbox-secret")));
        // last: an ORDERS_URL … in the environment still wins, for a laptop running a real service
        Map<String, Object> services = new LinkedHashMap<>();
        ECHOED_SERVICES.forEach(service -> services.put(service, echo.baseUrl()));
        environment.getPropertySources().addLast(new MapPropertySource(LocalEchoBackend.class.getName(), services));
        // the playground encrypts sandbox data with the sandbox itself
        application.addInitializers(context -> context.getBeanFactory().registerSingleton("localWechatSandbox", wechat));
        application.addListeners((ApplicationListener<ContextClosedEvent>) closed -> stop(redis, wechat, echo));
        Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(redis, wechat, echo), "local-profile-stop"));
        log.warn("""

                ************************************************************************************
                *  LOCAL PROFILE: logins are NOT checked with WeChat. Any code logs in, as a user  *
                *  derived from the code, through an in-process WeChat sandbox; any phone code     *
                *  gives a fake number; sessions live in an embedded Redis that forgets everything *
                *  at exit. Never use this profile for real users.                                 *
                ************************************************************************************
                  embedded Redis: %s   WeChat sandbox: %s   mini-program: %s
                  encryptedData for a decrypt route: curl -s -X POST '%s/sandbox/encrypt?code=<login code>' -d '{"any":"json"}'
                  echo backend (what a service receives), for the routes of %s: %s""".formatted(
                redis.url(), wechat.baseUrl(), SANDBOX_APPID, wechat.baseUrl(), String.join(", ", ECHOED_SERVICES),
                echo.baseUrl()));
    }

    private static synchronized void stop(LocalRedis redis, LocalWechatSandbox wechat, LocalEchoBackend echo) {
        try {
            echo.close();
            wechat.close();
            redis.close();
        } catch (Exception ignored) {
            // already stopped
        }
    }
}
