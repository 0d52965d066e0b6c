package io.finetune4j.api;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * An SPI type whose signatures change only by additions (new {@code default} methods). On a
 * framework-runtime class it also marks the class as part of what plugin bundles may use: the runner's
 * bundle class loader shares runtime classes carrying this or {@link Experimental} and refuses the rest,
 * so the retention is {@code RUNTIME}.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD})
public @interface Stable {}
