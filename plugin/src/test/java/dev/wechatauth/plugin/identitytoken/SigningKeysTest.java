package dev.wechatauth.plugin.identitytoken;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;

class SigningKeysTest {

    private static final Duration TTL = Duration.ofMinutes(5);
    private static final Duration ROTATION = Duration.ofHours(24);
    private static final Duration MARGIN = Duration.ofSeconds(65);
    private static final Duration ANNOUNCE_FOR = Duration.ofSeconds(2);
    private static final Instant START = Instant.parse("2026-01-01T00:00:00Z");

    @Test
    void advanceWhenRotationIsDueThenTheNextKeySignsOnlyOnceAnnouncedLongEnough() {
        SigningKey first = SigningKey.generate();
        SigningKey next = SigningKey.generate();
        SigningKeys keys = SigningKeys.generated(first, START, TTL, ROTATION, MARGIN);
        Instant due = START.plus(ROTATION);

        assertThat(keys.needsNext(due.minusSeconds(1))).isFalse();
        assertThat(keys.needsNext(due)).isTrue();
        keys.prepare(() -> next);
        assertThat(keys.publications(due)).extracting(p -> p.publicJwk().getKeyID())
                .containsExactly(first.kid(), next.kid());
        assertThat(keys.advance(due.plusSeconds(10), ANNOUNCE_FOR)).as("not published yet").isFalse();
        keys.published(due.plusSeconds(10));
        assertThat(keys.advance(due.plusSeconds(11), ANNOUNCE_FOR)).as("announced for 1 s").isFalse();
        assertThat(keys.signing()).isSameAs(first);

        assertThat(keys.advance(due.plusSeconds(12), ANNOUNCE_FOR)).isTrue();

        assertThat(keys.signing()).isSameAs(next);
        assertThat(keys.needsNext(due.plusSeconds(13))).isFalse();
    }

    @Test
    void publicationsWhenAKeyRetiredThenItIsPublishedUntilItsLastJwtExpiredAndThenForgotten() {
        SigningKey first = SigningKey.generate();
        SigningKeys keys = SigningKeys.generated(first, START, TTL, ROTATION, MARGIN);
        Instant switched = START.plus(ROTATION).plusSeconds(30);
        keys.prepare(SigningKey::generate);
        keys.published(switched.minusSeconds(5));
        keys.advance(switched, ANNOUNCE_FOR);

        List<SigningKeys.Publication> later = keys.publications(switched.plusSeconds(60));

        assertThat(later).filteredOn(p -> p.publicJwk().getKeyID().equals(first.kid())).singleElement()
                .satisfies(p -> assertThat(p.until()).isEqualTo(switched.plus(TTL).plus(MARGIN)));
        keys.advance(switched.plus(TTL).plus(MARGIN).plusSeconds(1), ANNOUNCE_FOR);
        assertThat(keys.publications(switched.plus(TTL).plus(MARGIN).plusSeconds(1)))
                .noneMatch(p -> p.publicJwk().getKeyID().equals(first.kid()));
    }

    @Test
    void needsNextWhenTheKeyIsConfiguredThenNever() {
        SigningKeys keys = SigningKeys.configured(SigningKey.generate(), START, TTL, MARGIN);

        assertThat(keys.needsNext(START.plus(Duration.ofDays(400)))).isFalse();
    }

    @Test
    void publicationsWhenSigningThenUntilNowPlusTtlAndMargin() {
        SigningKeys keys = SigningKeys.generated(SigningKey.generate(), START, TTL, ROTATION, MARGIN);

        assertThat(keys.publications(START.plusSeconds(100))).singleElement()
                .satisfies(p -> assertThat(p.until()).isEqualTo(START.plusSeconds(100).plus(TTL).plus(MARGIN)));
    }
}
