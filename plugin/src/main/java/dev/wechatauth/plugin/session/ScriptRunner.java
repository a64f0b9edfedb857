package dev.wechatauth.plugin.session;

import java.util.List;

import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;
import reactor.core.publisher.Mono;

/** Runs a Lua script on one key; empty when the script returns nil. */
public interface ScriptRunner {

    <T> Mono<T> run(RedisScript<T> script, String key, List<String> args);

    /** Each script at once through the template's shared connection ({@code EVALSHA}, {@code EVAL} if unknown). */
    static ScriptRunner of(ReactiveStringRedisTemplate redis) {
        return new ScriptRunner() {
            @Override
            public <T> Mono<T> run(RedisScript<T> script, String key, List<String> args) {
                return redis.execute(script, List.of(key), args).next();
            }
        };
    }
}
