package dev.wechatauth.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SigningCostTest {

    @Test
    void medianMicrosPerSignatureWhenAFewRoundsThenAPositiveFiniteFigure() throws Exception {
        double micros = SigningCost.medianMicrosPerSignature(3, 5);

        assertThat(micros).isPositive().isFinite();
    }
}
