package dev.wechatauth.gateway.logging;

import java.util.List;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import org.slf4j.Marker;

/**
 * Drops every log event that would print a configured AppSecret, whichever library logs it. The secret travels in
 * the code2Session query string, and at DEBUG both Spring's {@code ExchangeFunctions} and Reactor Netty
 * ({@code HttpClientConnect}, {@code PooledConnectionProvider}) print full request URIs; no setting of theirs masks
 * a query parameter. Only events that would be written are inspected.
 */
public final class SecretLogGuard extends TurboFilter {

    private static final int MAX_CAUSES = 8;

    private final List<String> secrets;

    public SecretLogGuard(List<String> secrets) {
        this.secrets = List.copyOf(secrets);
        setName("wechat-auth-secret-guard");
    }

    @Override
    public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params,
            Throwable failure) {
        if (level == null || !level.isGreaterOrEqual(logger.getEffectiveLevel())) {
            return FilterReply.NEUTRAL;
        }
        if (mentionsSecret(format)) {
            return FilterReply.DENY;
        }
        if (params != null) {
            for (Object param : params) {
                if (param != null && mentionsSecret(String.valueOf(param))) {
                    return FilterReply.DENY;
                }
            }
        }
        Throwable cause = failure;
        for (int depth = 0; cause != null && depth < MAX_CAUSES; depth++, cause = cause.getCause()) {
            if (mentionsSecret(cause.getMessage()) || mentionsSecretInSuppressed(cause)) {
                return FilterReply.DENY;
            }
        }
        return FilterReply.NEUTRAL;
    }

    private boolean mentionsSecretInSuppressed(Throwable failure) {
        for (Throwable suppressed : failure.getSuppressed()) {
            if (mentionsSecret(suppressed.getMessage())) {
                return true;
            }
        }
        return false;
    }

    private boolean mentionsSecret(String text) {
        if (text == null) {
            return false;
        }
        for (String secret : secrets) {
            if (text.contains(secret)) {
                return true;
            }
        }
        return false;
    }
}
