"""The demo county 湘江县: kindergartens, alliances, pairings, people (all invented).

Phones come from 170 0000 / 170 0001 / 170 0002 xxxx, numbers that look fake on sight.
Names are built deterministically from the lists below, so every run makes the same people.
"""

from __future__ import annotations

from datetime import date

REGION = {"name": "湘江县", "bureau_name": "湘江县教育局"}
CYCLE_START, CYCLE_END, AGREEMENT = date(2025, 9, 1), date(2027, 8, 31), date(2025, 8, 25)

#: key -> (name, level, address, lat, lng)
KINDERGARTENS = {
    "first": ("湘江县第一幼儿园", "省级示范园", "湘江县城关镇芙蓉路18号", 28.1962, 112.9715),
    "shiyan": ("湘江县实验幼儿园", "市级示范园", "湘江县城关镇建设北路66号", 28.2031, 112.9640),
    "jiguan": ("湘江县机关幼儿园", "县级示范园", "湘江县城关镇人民路9号", 28.1987, 112.9803),
    "chengnan": ("湘江县城南幼儿园", "县级示范园", "湘江县城南街道南湖路120号", 28.1811, 112.9688),
    "yuying": ("湘江县育英幼儿园", "县级示范园", "湘江县城北街道育英路32号", 28.2150, 112.9752),
    "sun": ("湘江县小太阳幼儿园", "民办园", "湘江县城关镇向阳巷5号", 28.2009, 112.9561),
    "qingshan": ("青山镇中心幼儿园", "乡镇中心园", "湘江县青山镇青山街38号", 28.1320, 113.0405),
    "baisha": ("白沙镇中心幼儿园", "乡镇中心园", "湘江县白沙镇白沙大道12号", 28.2644, 112.8871),
    "shiqiao": ("青山镇石桥村幼儿园", "村级园", "湘江县青山镇石桥村村部旁", 28.1187, 113.0612),
    "fengshu": ("青山镇枫树村幼儿园", "村级园", "湘江县青山镇枫树村一组", 28.1402, 113.0733),
    "longjing": ("青山镇龙井村幼儿园", "村级园", "湘江县青山镇龙井村小学内", 28.1093, 113.0281),
    "baisha_school": (
        "白沙镇中心小学附设幼儿班",
        "小学附设幼儿班",
        "湘江县白沙镇中心小学",
        28.2668,
        112.8912,
    ),
}

#: name -> (lead key, member keys)
ALLIANCES = {
    "湘江县城区学前教育联盟": ("first", ("first", "chengnan", "yuying", "baisha_school")),
    "湘江县实验幼儿园发展联盟": ("shiyan", ("shiyan", "jiguan", "sun", "baisha")),
    "青山片区乡村学前教育联盟": ("qingshan", ("qingshan", "shiqiao", "fengshu", "longjing")),
}

#: (supporting, supported): the shapes of DOMAIN.md, plus one one-to-one pair.
PAIRINGS = (
    # 1 city model -> 3 county + 1 private
    ("shiyan", "jiguan"),
    ("shiyan", "chengnan"),
    ("shiyan", "yuying"),
    ("shiyan", "sun"),
    # 1 county model -> 2 township
    ("jiguan", "qingshan"),
    ("jiguan", "baisha"),
    # 1 township -> 3 village
    ("qingshan", "shiqiao"),
    ("qingshan", "fengshu"),
    ("qingshan", "longjing"),
    # one-to-one
    ("first", "baisha_school"),
)

#: Staff of every kindergarten, in order: (职务, key teacher at model kindergartens?).
STAFF = (
    ("园长", False),
    ("保教主任", True),
    ("教研组长", True),
    ("教师", True),
    ("保育员", False),
)
MODEL_LEVELS = {"省级示范园", "市级示范园", "县级示范园"}
CLASSES = (("小一班", "小班"), ("中一班", "中班"), ("大一班", "大班"))
CHILDREN_PER_CLASS = 3
DUTIES = ("统筹协调", "教学活动", "环境布置", "卫生保健", "家长工作", "宣传报道")

SURNAMES = "王李张刘陈杨黄赵周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程"  # 31
TEACHER_GIVEN = """
丽 芳 敏 静 婷 雪 慧 琳 颖 倩 洁 燕 娟 玲 霞
晓燕 文静 雅琴 丽娟 海燕 春梅 秀英 佳慧 梦瑶 思雨 欣怡 晓雯 美玲 红霞 玉兰
丹丹 蓉 萍 艳 华 莉 君 晶 菲 婧 璐 瑶 薇 嘉欣 雨婷
诗涵 若曦 可馨 梓萱 一凡 子涵 紫薇 晨曦 书瑶 佳怡 若兰 静怡 雅婷 晓红 小芳
秋菊
""".split()  # 61
CHILD_GIVEN = """
子轩 浩然 一诺 欣妍 梓涵 宇航 沐阳 若汐 思源 雨泽 可可 诗琪 俊熙 明轩 语桐
天佑 晨阳 安琪 嘉懿 乐乐 果果 皓宇 芊芊 博文 小满 依依 星辰 梓萌 睿泽 悠然
米粒 朵朵 一鸣 子墨 雨桐 梦琪 嘉乐
""".split()  # 37
PARENT_GIVEN = ("建军", "海波", "志强", "伟", "勇", "磊", "军", "涛", "斌", "明", "刚")
MOTHER_GIVEN = ("红", "燕", "霞", "梅", "芳", "娟", "艳", "萍", "玲", "莉", "琴")


def teacher_name(n: int) -> str:
    """The n-th demo teacher's name (unique for n < 31 × 61)."""
    return SURNAMES[(n * 7) % len(SURNAMES)] + TEACHER_GIVEN[(n * 13) % len(TEACHER_GIVEN)]


def teacher_phone(n: int) -> str:
    """The n-th demo teacher's fake phone."""
    return f"1700001{n:04d}"


def child_name(n: int) -> str:
    """The n-th demo child's name."""
    return SURNAMES[(n * 11) % len(SURNAMES)] + CHILD_GIVEN[(n * 5) % len(CHILD_GIVEN)]


def parent_of(n: int) -> tuple[str, str, str]:
    """(name, phone, relation) of the n-th demo child's guardian."""
    if n % 2 == 0:
        name = child_name(n)[0] + PARENT_GIVEN[n % len(PARENT_GIVEN)]
        relation = "父亲"
    else:
        name = SURNAMES[(n * 3 + 5) % len(SURNAMES)] + MOTHER_GIVEN[n % len(MOTHER_GIVEN)]
        relation = "母亲"
    return name, f"1700002{n:04d}", relation


#: The fixed demo login codes: code -> (role label, who, how the person is chosen).
#: "staff:<kg>:<i>" is the i-th of STAFF at that kindergarten; "child:<kg>:<class>:<i>" the
#: guardian of the i-th child of that class; "official:<phone>:<name>" a bureau person.
DEMO_LOGINS = (
    ("demo-admin", "管理员", "official:17000000001:韩志刚"),
    ("demo-leader", "领导（湘江县教育局）", "official:17000000002:周建国"),
    (
        "demo-alliance-leader",
        "联盟领导（湘江县实验幼儿园发展联盟）",
        "official:17000000003:罗慧敏",
    ),
    ("demo-director", "园长（湘江县实验幼儿园）", "staff:shiyan:0"),
    ("demo-organizer", "组织者（实验幼儿园保教主任）", "staff:shiyan:1"),
    ("demo-teacher", "教师（青山镇石桥村幼儿园）", "staff:shiqiao:3"),
    ("demo-teacher2", "教师（青山镇石桥村幼儿园教研组长）", "staff:shiqiao:2"),
    ("demo-parent", "家长（石桥村幼儿园小一班）", "child:shiqiao:小一班:0"),
)

#: Demo logins that also get a web console password (login name = the code).
CONSOLE_LOGINS = (
    "demo-admin",
    "demo-leader",
    "demo-alliance-leader",
    "demo-director",
    "demo-organizer",
)
#: The console password of every demo login above; demo data only, refused in production.
CONSOLE_PASSWORD = "sjt-demo-2026"
