package dev.wechatauth.plugin.config;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Turns an {@link InvalidSettingsException} into Spring Boot's start-up report: its one-line reason, no stack trace. */
class InvalidSettingsFailureAnalyzer extends AbstractFailureAnalyzer<InvalidSettingsException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, InvalidSettingsException cause) {
        return new FailureAnalysis(cause.getMessage(),
                "Correct the setting named above (see the README's Configuration section), or run with the local profile.",
                cause);
    }
}
