package dev.wechatauth.gateway.config;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Turns an {@link InvalidSettingsException} into Spring Boot's start-up report: its one-line reason, no stack trace. */
class InvalidSettingsFailureAnalyzer extends AbstractFailureAnalyzer<InvalidSettingsException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, InvalidSettingsException cause) {
        return new FailureAnalysis(cause.getMessage(),
                "Set wechat.auth.apps[0].appid and wechat.auth.apps[0].secret (WECHAT_AUTH_APPS_0_APPID, "
                        + "WECHAT_AUTH_APPS_0_SECRET), or run with the local profile.",
                cause);
    }
}
