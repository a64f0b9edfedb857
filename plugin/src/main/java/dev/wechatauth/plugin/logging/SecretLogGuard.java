package dev.wechatauth.plugin.logging;

import java.util.List;
import java.util.regex.Pattern;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import org.slf4j.Marker;
import org.slf4j.helpers.MessageFormatter;

/**
 * Drops every log event that would print a configured AppSecret or a bearer token, whichever library logs it. The secret travels in
 * the code2Session query string, and at DEBUG both Spring's {@code ExchangeFunctions} and Reactor Netty
 * ({@code HttpClientConnect}, {@code PooledConnectionProvider}) print full request URIs; no setting of theirs masks
 * a query parameter. Only events that would be written are inspected.
 */
public final class SecretLogGuard extends TurboFilter {

    private static final int MAX_CAUSES = 8;
    /** A bearer token as this gateway issues them: a public route forwards, and some DEBUG loggers print, headers. */
    private static final Pattern BEARER_TOKEN = Pattern.compile("(?i)bearer\\s+[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])");

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
        String message = params == null || params.length == 0 ? format
                : MessageFormatter.arrayFormat(format, params).getMessage();
        if (mentionsSecret(message)) {
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
        return BEARER_TOKEN.matcher(text).find();
    }
}
