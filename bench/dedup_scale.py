"""Near-duplicate query time against a million stored complaints.

    .venv/bin/python bench/dedup_scale.py            # 1,000,000 stored, 1,000 queries
    .venv/bin/python bench/dedup_scale.py --stored 100000

Complaints are synthesised from templates with random products, dates, order numbers, amounts
and a random choice of extra sentences, so most stored texts are *not* near-duplicates of each
other (as in a real complaint store) while sharing plenty of vocabulary. Half the queries are
lightly edited copies of stored complaints (another date and order number, punctuation, a
sentence added, Traditional script): they must be found. The other half are fresh complaints.
The target is under 10 ms per query (p99) on the project's 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import time

import opencc
from text_bench_common import machine_line

from weiquan.adapters.text.near_duplicates import NearDuplicateIndex

PLATFORMS = ("淘宝", "天猫", "京东", "拼多多", "抖音商城", "快手小店", "美团", "唯品会", "苏宁")
BRANDS = (
    "华帝",
    "美的",
    "小熊",
    "苏泊尔",
    "九阳",
    "海尔",
    "格力",
    "飞利浦",
    "小米",
    "荣耀",
    "李宁",
)
GOODS = (
    "电饭煲",
    "空气炸锅",
    "手机",
    "蓝牙耳机",
    "羽绒服",
    "运动鞋",
    "扫地机器人",
    "洗衣机",
    "冰箱",
    "面膜",
    "奶粉",
    "猫粮",
    "电动牙刷",
    "笔记本电脑",
    "儿童座椅",
    "床垫",
    "茶叶",
    "大闸蟹",
    "车载充电器",
)
PROBLEMS = (
    "至今未发货，客服一直说马上安排",
    "收到后发现外包装破损，商品有明显划痕",
    "使用三天就无法开机，申请售后被拒绝",
    "与页面描述严重不符，材质明显是假的",
    "快递显示已签收，但我本人从未收到",
    "商家以已拆封为由拒绝七天无理由退货",
    "专柜鉴定为假货，商家不承认",
    "付款后商家单方面取消订单并涨价",
    "退货已经寄回十五天，退款仍未到账",
    "赠品没有发，客服答应补发后再也不回复",
    "页面写包邮，结算时却被收取运费",
    "食品收到时已经过期，生产日期被涂改",
    "安装师傅上门额外收取高额材料费",
    "尺码与尺码表不符，换货要求我承担运费",
    "直播间承诺的优惠券下单后无法使用",
)
DEMANDS = (
    "要求全额退款。",
    "要求退一赔三。",
    "要求退货退款并承担运费。",
    "要求按约定赔偿。",
    "要求更换新品。",
    "希望平台介入调解。",
    "要求商家书面道歉并退款。",
    "要求补发并补偿。",
)
_COMPLAINT_ABOUT_STAFF = tuple(
    f"{who}{what}"
    for who in ("客服", "商家", "店主", "售后", "快递员", "平台客服")
    for what in (
        "多次承诺处理但没有结果。",
        "态度敷衍，答非所问。",
        "电话一直打不通。",
        "要求我提供视频证明。",
        "让我自己联系厂家。",
        "说这是正常现象。",
        "让我先给好评再处理。",
        "一直拖延不给答复。",
        "直接把我拉黑了。",
    )
)
EXTRAS = (
    *_COMPLAINT_ABOUT_STAFF,
    "聊天记录和付款截图已保存。",
    "这已经是第二次出现同样的问题。",
    "孩子因此耽误了使用。",
    "我是老客户了，非常失望。",
    "已经向12315反映过。",
    "其他买家也有同样遭遇。",
    "商品照片已上传。",
    "购买时是为了送给父母。",
    "订单在活动期间下单。",
)


def synthesise(rng: random.Random) -> str:
    order = "".join(rng.choice("0123456789") for _ in range(rng.randint(12, 18)))
    amount = rng.randint(19, 8999)
    sentences = [
        (
            f"我于{rng.randint(1, 12)}月{rng.randint(1, 28)}日在{rng.choice(PLATFORMS)}"
            f"{rng.choice(BRANDS)}旗舰店购买了{rng.choice(GOODS)}，订单号{order}，"
            f"实付{amount}元，{rng.choice(PROBLEMS)}。"
        ),
        *rng.sample(EXTRAS, rng.randint(1, 4)),
        rng.choice(DEMANDS),
    ]
    return "".join(sentences)


def lightly_edited(text: str, rng: random.Random, to_traditional: opencc.OpenCC) -> str:
    edited = text.replace("。", "！", 1).replace("，", ", ", 2)
    edited = edited.replace("月", "月份", 1) if rng.random() < 0.5 else edited
    if rng.random() < 0.5:
        edited += rng.choice(EXTRAS)
    if rng.random() < 0.3:
        edited = to_traditional.convert(edited)
    return edited


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stored", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    print(f"near-duplicate scale benchmark on {machine_line()}")

    started = time.perf_counter()
    stored = [synthesise(rng) for _ in range(args.stored)]
    print(f"synthesised {len(stored):,} complaints in {time.perf_counter() - started:.0f} s")
    base_rss = rss_mib()

    index = NearDuplicateIndex()
    started = time.perf_counter()
    index.add_many((str(i), text) for i, text in enumerate(stored))
    build = time.perf_counter() - started
    print(
        f"indexed in {build:.0f} s ({len(stored) / build:,.0f} texts/s), {index.bands} bands; "
        f"peak RSS grew by {rss_mib() - base_rss:,.0f} MiB"
    )

    to_traditional = opencc.OpenCC("s2t")
    copies = [rng.randrange(len(stored)) for _ in range(args.queries // 2)]
    queries = [(str(i), lightly_edited(stored[i], rng, to_traditional)) for i in copies]
    queries += [(None, synthesise(rng)) for _ in range(args.queries - len(copies))]
    rng.shuffle(queries)
    print(f"load average before querying: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    run_queries(index, queries)


def percentiles(values: list[float]) -> str:
    ordered = sorted(values)
    p99 = ordered[int(0.99 * (len(ordered) - 1))]
    return f"p50 {statistics.median(ordered):.2f} ms, p99 {p99:.2f} ms, max {ordered[-1]:.2f} ms"


def run_queries(index: NearDuplicateIndex, queries: list[tuple[str | None, str]]) -> None:
    """Wall time is what a caller waits; CPU time is what the query costs on a busy machine."""
    wall, cpu, matches, found = [], [], [], 0
    for source, text in queries:
        began_wall, began_cpu = time.perf_counter(), time.process_time()
        result = index.query(text)
        wall.append((time.perf_counter() - began_wall) * 1000)
        cpu.append((time.process_time() - began_cpu) * 1000)
        matches.append(len(result))
        found += source is not None and any(match.key == source for match in result)
    copies = sum(1 for source, _ in queries if source is not None)
    print(f"{len(queries)} queries against {len(index):,} stored")
    print(f"  wall: {percentiles(wall)}")
    print(f"  cpu:  {percentiles(cpu)}")
    print(f"  edited copies found {found}/{copies}; mean matches {statistics.mean(matches):.2f}")
    p99 = sorted(wall)[int(0.99 * (len(wall) - 1))]
    print("target p99 < 10 ms (wall):", "met" if p99 < 10 else "NOT met")


if __name__ == "__main__":
    main()
