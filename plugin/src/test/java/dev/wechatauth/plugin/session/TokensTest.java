package dev.wechatauth.plugin.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

class TokensTest {

    private final Tokens tokens = new Tokens();

    @Test
    void nextWhenDrawn10000TimesThenAllDistinctAndWellFormed() {
        List<String> drawn = Flux.range(0, 10_000).concatMap(i -> tokens.next()).collectList().block(Duration.ofSeconds(30));

        assertThat(drawn).hasSize(10_000);
        Set<String> distinct = new HashSet<>(drawn);
        assertThat(distinct).hasSize(10_000);
        assertThat(drawn).allSatisfy(token -> {
            assertThat(token).matches("^[A-Za-z0-9_-]{43}$");
            assertThat(Tokens.isWellFormed(token)).isTrue();
        });
    }

    @Test
    void nextWhenDrawnThenCarries256RandomBits() {
        StepVerifier.create(tokens.next())
                .assertNext(token -> assertThat(java.util.Base64.getUrlDecoder().decode(token)).hasSize(32))
                .verifyComplete();
    }

    @Test
    void nextWhenDrawnThenOnTheCallersThreadWithoutASchedulerHop() {
        String caller = Thread.currentThread().getName();
        String[] thread = new String[1];

        StepVerifier.create(tokens.next().doOnNext(token -> thread[0] = Thread.currentThread().getName()))
                .expectNextCount(1)
                .verifyComplete();
        assertThat(thread[0]).isEqualTo(caller);
    }

    @Test
    void hashWhenSameTokenOnManyThreadsThenTheSameDigestEverywhere() {
        String token = tokens.next().block();
        String expected = Tokens.hash(token);

        List<String> hashes = Flux.range(0, 64)
                .parallel(8).runOn(Schedulers.parallel())
                .map(i -> Tokens.hash(token))
                .sequential().collectList().block(Duration.ofSeconds(10));

        assertThat(hashes).hasSize(64).containsOnly(expected);
    }

    @Test
    void isWellFormedWhen43Base64urlCharactersThenTrue() {
        assertThat(Tokens.isWellFormed("abcdefghijklmnopqrstuvwxyzABCDEFGHIJK-_0129")).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "",
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJK-_012",
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJK-_01299",
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJK-_01+",
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJK-_01/",
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJK-_01=",
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJK-_01.",
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJK-_01 ",
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJK-_01\u00e9",
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJK-_01\n",
    })
    void isWellFormedWhenWrongLengthOrCharacterThenFalse(String token) {
        assertThat(Tokens.isWellFormed(token)).isFalse();
    }

    @Test
    void hashWhenSameTokenThenSameHashDifferentFromTheToken() {
        String token = tokens.next().block(Duration.ofSeconds(5));
        String other = tokens.next().block(Duration.ofSeconds(5));

        assertThat(Tokens.hash(token)).isEqualTo(Tokens.hash(token)).isNotEqualTo(token).doesNotContain(token);
        assertThat(Tokens.hash(token)).matches("^[A-Za-z0-9_-]{43}$");
        assertThat(Tokens.hash(other)).isNotEqualTo(Tokens.hash(token));
    }

    @Test
    void hashWhenKnownInputThenSha256Base64url() {
        // SHA-256("abc") = ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
        assertThat(Tokens.hash("abc")).isEqualTo("ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0");
    }

    @Test
    void publicIdWhenSameHashThenStable22CharactersAndNeitherTheTokenNorItsHash() {
        String token = "t".repeat(43);
        String hash = Tokens.hash(token);

        String id = Tokens.publicId(hash);

        assertThat(id).hasSize(22).matches("[A-Za-z0-9_-]{22}").isEqualTo(Tokens.publicId(hash));
        assertThat(hash).doesNotContain(id);
        assertThat(token).doesNotContain(id);
        assertThat(Tokens.publicId(Tokens.hash("u".repeat(43)))).isNotEqualTo(id);
    }
}
