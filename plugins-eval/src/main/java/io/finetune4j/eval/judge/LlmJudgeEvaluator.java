package io.finetune4j.eval.judge;

import io.finetune4j.api.ConfigException;
import io.finetune4j.api.ProgressListener;
import io.finetune4j.api.data.Dataset;
import io.finetune4j.api.data.Example;
import io.finetune4j.api.data.Source;
import io.finetune4j.api.eval.EvalContext;
import io.finetune4j.api.eval.Evaluator;
import io.finetune4j.api.eval.Metric;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.eval.preference.Answers;
import io.finetune4j.eval.preference.Baseline;
import io.finetune4j.eval.preference.ComparedModel;
import io.finetune4j.eval.preference.PreferenceRows;
import io.finetune4j.eval.preference.PromptGenerations;
import io.finetune4j.runtime.generate.GenerationConfig;
import io.finetune4j.runtime.tokenizer.HfTokenizer;
import java.nio.file.Path;
import java.util.List;

/**
 * The evaluated model's answers against a baseline's (as {@code win-rate} generates them), compared by a
 * local judge checkpoint reading a rubric ({@link LogLikelihoodJudge}) in both orders
 * ({@link PairwiseJudgement}). The judge reads decoded text, so it may use another tokenizer than the
 * judged models. Metrics with per-example values: {@code judge_win_rate} (1 win, 0.5 tie, 0 loss),
 * {@code tie_rate}, and {@code position_consistency}, the share of judged prompts (identical answers are not
 * judged) whose verdict did not change with the order.
 */
final class LlmJudgeEvaluator implements Evaluator {
    private static final String ID = LlmJudgeEvaluatorProvider.ID;
    private static final String JUDGE = "judge";

    private final LlmJudgeConfig config;

    LlmJudgeEvaluator(LlmJudgeConfig config) {
        this.config = config;
    }

    @Override
    public void checkData(Dataset data) {
        PreferenceRows.requirePath(config.judge(), ID, JUDGE, "the judge checkpoint");
        PreferenceRows.requirePrompts(data, ID);
    }

    @Override
    public List<Metric> evaluate(EvalContext context) {
        checkData(context.data());
        CausalLM model = context.model();
        List<String> prompts = PreferenceRows.requirePrompts(context.data(), ID);
        List<Source> sources = context.data().examples().stream().map(Example::source).toList();
        // every setting is checked before the first token is generated
        Path judgeDir = ComparedModel.modelDir(context, config.judge(), ID, JUDGE);
        try (HfTokenizer judgeTokenizer = HfTokenizer.load(judgeDir)) {
            String sample = JudgeRubric.fill(config.rubric(), prompts.get(0), "answer", "another answer");
            LogLikelihoodJudge.verdictRows(judgeTokenizer, sample, config.verdictA(), config.verdictB(), ID);
        }
        long[] probe = PromptGenerations.encode(model.tokenizer(), prompts.subList(0, 1), sources, ID).get(0);
        Baseline baseline = Baseline.check(context, config.baseline(), ID, probe);

        GenerationConfig generation = config.generation().toConfig();
        ProgressListener progress = context.progress();
        progress.start(ID + " " + context.data().name(), 3L * prompts.size());
        try {
            Answers a = Answers.generate(model, prompts, sources, generation, () -> progress.advance(1, "model"), ID);
            Answers b = baseline.answer(context, prompts, sources, generation, () -> progress.advance(1, "baseline"), ID);
            try (CausalLM judgeModel = context.models().load(judgeDir, model.device())) {
                Judge judge = new LogLikelihoodJudge(judgeModel, config.rubric(), config.verdictA(), config.verdictB(), ID);
                return score(judge, prompts, a.texts(), b.texts(), sources, () -> progress.advance(1, "judge"));
            }
        } finally {
            progress.finish();
        }
    }

    /** Judges every prompt in both orders; a judge error names the row. */
    static List<Metric> score(Judge judge, List<String> questions, List<String> modelAnswers,
                              List<String> baselineAnswers, List<Source> sources, Runnable afterEach) {
        int n = questions.size();
        double[] outcomes = new double[n];
        double[] ties = new double[n];
        double[] consistent = new double[n];
        double[] judged = new double[n];
        for (int i = 0; i < n; i++) {
            PairwiseJudgement judgement;
            try {
                judgement = PairwiseJudgement.of(judge, questions.get(i), modelAnswers.get(i), baselineAnswers.get(i));
            } catch (ConfigException e) {
                throw new ConfigException(sources.get(i) + ": " + e.getMessage(), e);
            }
            outcomes[i] = judgement.outcome();
            ties[i] = judgement.outcome() == 0.5 ? 1 : 0;
            consistent[i] = judgement.consistent() ? 1 : 0;
            judged[i] = judgement.judged() ? 1 : 0;
            afterEach.run();
        }
        return List.of(Metric.mean("judge_win_rate", outcomes, true),
                Metric.mean("tie_rate", ties, false),
                Metric.ratio("position_consistency", consistent, judged, x -> x, true));
    }
}
