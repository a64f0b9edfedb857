package dev.wechatauth.plugin.logging;

import java.util.Collection;
import java.util.List;
import java.util.function.Supplier;

import ch.qos.logback.classic.LoggerContext;
import org.slf4j.ILoggerFactory;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.InitializingBean;

/** Adds a {@link SecretLogGuard} to Logback for the life of the application context, when Logback is the backend. */
public class SecretLogGuardRegistration implements InitializingBean, DisposableBean {

    private final SecretLogGuard guard;
    private LoggerContext context;

    public SecretLogGuardRegistration(List<String> secrets) {
        this.guard = new SecretLogGuard(secrets);
    }

    /**
     * @param secrets the AppSecrets
     * @param currentTokens the access_tokens the gateway holds now (cheap: asked on every inspected log event)
     */
    public SecretLogGuardRegistration(List<String> secrets, Supplier<? extends Collection<String>> currentTokens) {
        this.guard = new SecretLogGuard(secrets, currentTokens);
    }

    @Override
    public void afterPropertiesSet() {
        ILoggerFactory factory = LoggerFactory.getILoggerFactory();
        if (factory instanceof LoggerContext logback) {
            this.context = logback;
            guard.setContext(logback);
            guard.start();
            logback.addTurboFilter(guard);
        }
    }

    /** Whether the guard is in place. */
    public boolean isActive() {
        return context != null && context.getTurboFilterList().contains(guard);
    }

    @Override
    public void destroy() {
        if (context != null) {
            context.getTurboFilterList().remove(guard);
            guard.stop();
        }
    }
}
